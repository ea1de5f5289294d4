package piiscrub

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestGlobMatch(t *testing.T) {
	for _, tt := range []struct {
		pat, s string
		want   bool
	}{
		{"user.*", "user.id", true}, {"user.*", "user", false}, {"*.password", "db.password", true},
		{"*.password", "password", false}, {"k8s.*.name", "k8s.pod.name", true}, {"k8s.*.name", "k8s.pod.uid", false},
		{"a?c", "abc", true}, {"a?c", "ac", false}, {"*", "", true}, {"*x*y*", "axbyc", true}, {"*x*y*", "ayxb", false},
	} {
		assert.Equal(t, tt.want, globMatch(tt.pat, tt.s), "%s ~ %s", tt.pat, tt.s)
	}
}

func TestGlobSetFirstMatchWins(t *testing.T) {
	g := newGlobSet()
	g.add("user.*", 0)
	g.add("user.id", 1)
	g.add("*.id", 2)
	g.add("exact", 3)
	assert.Equal(t, 0, g.match("user.id"))
	assert.Equal(t, 2, g.match("order.id"))
	assert.Equal(t, 3, g.match("exact"))
	assert.Equal(t, -1, g.match("other"))
	assert.Equal(t, -1, g.match(""))
}

func TestKeyRules(t *testing.T) {
	p := newTestProcessor(t, testConfig(t, func(c *Config) {
		c.KeyRules = []KeyRule{
			{Keys: []string{"customer.*"}, Action: ActionHash, Entity: "email"},
			{Keys: []string{"debug.dump"}, Action: ActionDelete},
			{Keys: []string{"safe.*"}, Action: ActionKeep},
			{Keys: []string{"card_on_file"}, Action: ActionMask, Entity: "card"},
			{Keys: []string{"user.id"}, Action: ActionKeep}, // overrides the default hash of user.id
		}
	}))
	cases := []struct {
		key, val, want string
		kept           bool
	}{
		{"customer.contact", "JANE@example.com", "<email>", true},
		{"debug.dump", "anything", "", false},
		{"safe.note", "jane@example.com", "jane@example.com", true},
		{"card_on_file", "4111 1111 1111 1111", "****1111", true},
		{"user.id", "u-123", "u-123", true},
		{"enduser.id", "u-123", "<user_id>", true},                     // default rule: hash
		{"user.email", "jane@example.com", "", false},                  // default rule: delete
		{"app.db.password", "hunter2", "", false},                      // default glob *.password
		{"service.name", "jane@example.com", "jane@example.com", true}, // default keep
		{"free.text", "mail jane@example.com", "mail <email>", true},   // no rule: detection
		// network.peer.address of a server span is the client's IP: scanned, not kept like network.protocol.*.
		{"network.peer.address", "203.0.113.7", "<ip>", true},
		{"network.protocol.name", "http", "http", true},
	}
	for _, c := range cases {
		got, kept := scrubAttrString(p, c.key, c.val)
		assert.Equal(t, c.kept, kept, c.key)
		if kept {
			assert.Equal(t, c.want, abbreviate(got), c.key)
		}
	}
	// A hash rule with entity email gives the same token as the e-mail detector (normalised the same way).
	fromRule, _ := scrubAttrString(p, "customer.contact", "JANE@example.com")
	fromText := scrubString(p, "jane@example.com")
	assert.Equal(t, fromText, fromRule)
}
