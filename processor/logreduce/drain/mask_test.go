package drain

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestTokenizeMasksVariables(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain words stay", "connection reset by peer", "connection reset by peer"},
		{"numbers", "retry 3 of 5", "retry <*> of <*>"},
		{"hex id", "trace 4bf92f3577b34da6a3ce929d0e0e4736 sampled", "trace <*> sampled"},
		{"uuid", "order 123e4567-e89b-12d3-a456-426614174000 paid", "order <*> paid"},
		{"ipv4 in brackets", "from [173.234.31.186] failed", "from [<*>] failed"},
		{"ipv6", "peer fe80::1ff:fe23:4567:890a closed", "peer <*> closed"},
		{"host and port", "dial db.internal:5432 refused", "dial db.internal:<*> refused"},
		{"duration and size", "took 12ms for 4KiB", "took <*> for <*>"},
		{"name prefix kept", "cache miss for key product:42", "cache miss for key product:<*>"},
		{"key=value", "uid=0 euid=0 tty=NODEVssh ruser=", "uid=<*> euid=<*> tty=NODEVssh ruser="},
		{"path id segments", "GET /api/users/42/orders/7f3a9 done", "GET /api/users/<*>/orders/<*> done"},
		{"windows path", `open C:\data\run42\file.txt`, `open C:\data\<*>\file.txt`},
		{"e-mail", "mail to jane.doe@example.com bounced", "mail to <*> bounced"},
		{"pii pseudonym", "user pii:email:k1:abcdefghijklmnopqrstuvwxyz logged in", "user <*> logged in"},
		{"pii placeholder", "user {email} logged in", "user <*> logged in"},
		{"quoted value with spaces", `tag="View Lock" acquired`, `tag="View Lock" acquired`},
		{"leading quoted value", `query "select * from t" slow`, `query "<*>" slow`},
		{"trailing punctuation kept", "stratum 3, offset 0.25s.", "stratum <*>, offset <*>."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tk Tokenizer
			assert.Equal(t, tt.want, strings.Join(tk.Tokenize(nil, tt.in), " "))
		})
	}
}

func TestTokenizeBoundsTokens(t *testing.T) {
	tk := Tokenizer{MaxTokens: 3}
	assert.Equal(t, []string{"a", "b", Wildcard}, tk.Tokenize(nil, "a b c d e f"))
}

func FuzzTokenize(f *testing.F) {
	for _, s := range []string{
		"", " ", "a", `"`, `"unterminated`, "key=", "=v", "a=b=c", "pii:", "x@y.", "///", `\\a\\`, "[(]", "1.2.3.4:80",
		"authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4",
		"ready=true,policy=3,wakefulness=1", "\x00\xff\xfe 7", "é 12 ü",
	} {
		f.Add(s, 8)
	}
	f.Fuzz(func(t *testing.T, msg string, maxTokens int) {
		maxTokens = maxTokens%200 + 1
		if maxTokens < 2 {
			maxTokens = 2
		}
		tk := Tokenizer{MaxTokens: maxTokens}
		toks := tk.Tokenize(nil, msg)
		if len(toks) > maxTokens {
			t.Fatalf("%d tokens, limit %d", len(toks), maxTokens)
		}
		for _, tok := range toks {
			if tok == "" || strings.ContainsAny(tok, " \t\n\r\f\v") {
				t.Fatalf("bad token %q", tok)
			}
			if strings.ContainsAny(tok, "0123456789") {
				t.Fatalf("digit survived masking in %q (message %q)", tok, msg)
			}
		}
		// Mining what the tokenizer produced never fails and is idempotent for the same input.
		m := New[struct{}](DefaultConfig())
		c1, _ := m.Add(toks)
		c2, res := m.Add(tk.Tokenize(nil, msg))
		if c1 != c2 || res != Matched {
			t.Fatalf("the same message made two templates: %q %q", c1.Template(), c2.Template())
		}
	})
}
