package piiscrub

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestNormalizeIPv4WithoutParsing: an IPv4 value is normalised as it is, which is what netip's canonical form
// gives for every value netip accepts (and what the fallback gives for every value it refuses).
func TestNormalizeIPv4WithoutParsing(t *testing.T) {
	st := &state{}
	for _, raw := range []string{"203.0.113.7", "10.0.0.1", "255.255.255.254", "1.2.3.4", "01.2.3.4", "1.2.3", "host.example", "300.1.1.1", ""} {
		want := raw
		if addr, err := netip.ParseAddr(raw); err == nil {
			want = addr.Unmap().String()
		}
		assert.Equal(t, want, string(st.normalize(nil, entIP, raw)), raw)
	}
	assert.Equal(t, "2001:db8::1", string(st.normalize(nil, entIP, "2001:DB8:0:0:0:0:0:1")))
	assert.Equal(t, "192.0.2.1", string(st.normalize(nil, entIP, "::ffff:192.0.2.1")))
}
