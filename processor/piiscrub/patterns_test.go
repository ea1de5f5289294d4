package piiscrub

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCustomPatterns(t *testing.T) {
	p := newTestProcessor(t, testConfig(t, func(c *Config) {
		c.Patterns = []PatternConfig{
			{Name: "customer_no", Regex: `CUST-[0-9]{8}`, Action: ActionHash},
			{Name: "ticket", Regex: `TCK[0-9]{6}`, Action: ActionRedact, Keys: []string{"support.*"}},
		}
	}))
	assert.Equal(t, "order for <customer_no> and <customer_no>", abbreviate(scrubString(p, "order for CUST-12345678 and CUST-87654321")))
	got, _ := scrubAttrString(p, "support.ref", "see TCK123456")
	assert.Equal(t, "see {ticket}", got)
	got, _ = scrubAttrString(p, "other.ref", "see TCK123456")
	assert.Equal(t, "see TCK123456", got, "a scoped pattern leaves other keys alone")
	assert.Equal(t, "no match here", scrubString(p, "no match here"))
	// Our own tokens are never matched by a user pattern.
	tok := scrubString(p, "CUST-12345678")
	assert.Equal(t, tok, scrubString(p, tok))
}

func TestPatternPrefilter(t *testing.T) {
	p, err := compilePattern(`CUST-\d{8}`)
	require.NoError(t, err)
	assert.Equal(t, []string{"CUST-"}, p.literals)
	assert.False(t, p.mayMatch("no customer here"))
	assert.True(t, p.mayMatch("id CUST-12345678"))
	p, err = compilePattern(`(?i)cust-\d{8}`)
	require.NoError(t, err)
	assert.Empty(t, p.literals, "case-folded literals give no prefilter")
}
