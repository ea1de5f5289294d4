// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var defaultUserAgentPattern = createDefaultConfig().(*Config).Synthetic.UserAgentPatterns[0]

// Literal alternations are searched as literals; everything else stays a regexp.
func TestUserAgentPatternForms(t *testing.T) {
	tests := []struct {
		pattern string
		literal bool
		folded  bool
		lits    []string
	}{
		{defaultUserAgentPattern, true, true, []string{"synthetic", "site24x7", "statuscake", "pingdom", "uptimerobot", "checkly", "datadogsynthetics"}},
		{"HeadlessChrome", true, false, []string{"HeadlessChrome"}},
		{"(?i)bot", true, true, []string{"bot"}},
		{"Pingdom|(?i:checkly)", false, false, nil}, // mixes exact and folded letters
		{"(?i)24x7", true, true, []string{"24x7"}},
		{"2024|2025", true, false, []string{"2024", "2025"}},
		{"(?i)(?:uptime|status)(?:robot|cake)", true, true, []string{"uptimerobot", "uptimecake", "statusrobot", "statuscake"}},
		{"", true, false, []string{""}},
		{"^curl/", false, false, nil},
		{"bot$", false, false, nil},
		{"[Bb]ot", false, false, nil}, // a folded b, an exact "ot"
		{"[ab]c", true, false, []string{"ac", "bc"}},
		{"bots?", false, false, nil},
		{"Go-http-client/\\d", false, false, nil},
		{"(?i)ſynthetic", true, true, []string{"synthetic"}}, // ſ folds to s: the same pattern
		{"(?i)café", false, false, nil},                      // folds a non-ASCII letter
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			lits, folded, ok := patternLiterals(tt.pattern)
			assert.Equal(t, tt.literal, ok)
			if tt.literal {
				assert.Equal(t, tt.folded, folded)
				if folded {
					for i := range lits {
						lits[i] = strings.ToLower(lits[i])
					}
				}
				assert.ElementsMatch(t, tt.lits, lits)
			}
		})
	}
}

// The matcher's verdict is the regexp's, for literal and regexp patterns,
// ASCII and non-ASCII user agents.
func TestUserAgentMatcherAgreesWithRegexp(t *testing.T) {
	patterns := [][]string{
		{defaultUserAgentPattern},
		{"HeadlessChrome", "(?i)bot"},
		{"^curl/", "(?i)synthetic"},
		{""},
		{},
	}
	agents := []string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
		"Mozilla/5.0 (compatible; Pingdom.com_bot_version_1.4_(http://www.pingdom.com/))",
		"Datadog/Synthetics",
		"DatadogSynthetics",
		"Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/120.0 Safari/537.36",
		"curl/8.5.0",
		"Site24x7",
		"UPTIMEROBOT/2.0",
		"ſynthetic monitor", // U+017F folds to s under (?i)
		"checKly",           // Kelvin sign folds to k under (?i)
		"synthetic\xff",     // invalid UTF-8 after a match
		"\xe2synthetiс",     // Cyrillic es at the end: no match
		"",
		"s",
		"statuscak",
	}
	for _, ps := range patterns {
		m, err := newUserAgentMatcher(ps)
		require.NoError(t, err)
		for _, ua := range agents {
			assert.Equal(t, regexpVerdict(ps, ua), m.match(ua), "patterns %q, user agent %q", ps, ua)
		}
	}
}

func regexpVerdict(patterns []string, ua string) bool {
	for _, p := range patterns {
		if regexp.MustCompile(p).MatchString(ua) {
			return true
		}
	}
	return false
}

// FuzzUserAgentMatcher: for any pattern that compiles and any input, the
// matcher agrees with regexp.MatchString.
func FuzzUserAgentMatcher(f *testing.F) {
	f.Add(defaultUserAgentPattern, "Mozilla/5.0 (compatible; UptimeRobot/2.0)")
	f.Add("(?i)s(?:ynthetic|ite24x7)", "SITE24X7")
	f.Add("(?i)k", "\u212a")
	f.Add("a|b|", "zzz")
	f.Add("(?:ab|cd)(?:ef|gh)", "xxcdghxx")
	f.Add("[Ss]", "ſ")
	f.Fuzz(func(t *testing.T, pattern, ua string) {
		re, err := regexp.Compile(pattern)
		if err != nil {
			return
		}
		m, err := newUserAgentMatcher([]string{pattern})
		require.NoError(t, err)
		if got, want := m.match(ua), re.MatchString(ua); got != want {
			t.Fatalf("pattern %q, user agent %q: matcher %v, regexp %v", pattern, ua, got, want)
		}
	})
}

// BenchmarkUserAgentMatch: the default pattern against ordinary browser user
// agents (the common case: no match), as the regexp and as the matcher.
func BenchmarkUserAgentMatch(b *testing.B) {
	re := regexp.MustCompile(defaultUserAgentPattern)
	m, err := newUserAgentMatcher([]string{defaultUserAgentPattern})
	require.NoError(b, err)
	b.Run("regexp", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if re.MatchString(httpBrowsers[i%len(httpBrowsers)]) {
				b.Fatal("browser matched")
			}
		}
	})
	b.Run("matcher", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if m.match(httpBrowsers[i%len(httpBrowsers)]) {
				b.Fatal("browser matched")
			}
		}
	})
}
