package cardinalityguard // import "github.com/otelcol-warden/otelcol-warden/processor/cardinalityguard"

import (
	"regexp"
	"strings"

	"github.com/otelcol-warden/otelcol-warden/internal/urlpath"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// normalizeStep is step 3, value normalisation: a string value of a label with normalisers
// is rewritten into its class (memoised per label by the raw value's hash vh). It returns the
// hash of the value as the step leaves it.
func normalizeStep(ls *labelState, kv *attrKV, vh uint64, rs *routeState) uint64 {
	if ls.normalize == nil || (!kv.replaced && kv.val.Type() != pcommon.ValueTypeStr) {
		return vh
	}
	s := kv.repl
	if !kv.replaced {
		s = kv.val.Str()
	}
	n := ls.normalized(s, vh)
	if n == s {
		return vh
	}
	kv.repl, kv.replaced = n, true
	rs.change(reasonValueNormalized)
	return strHash(n)
}

// valueNormalizer rewrites one attribute value into its class. It returns the input
// unchanged (and allocates nothing) when the value is already a class.
type valueNormalizer func(string) string

// maxErrorClassLen bounds an error class: long messages are stack traces or dumps,
// whose tail adds cardinality and no meaning.
const maxErrorClassLen = 120

// compileNormalizers builds, per attribute name, the chain of normalisers configured for it.
func compileNormalizers(cfgs []NormalizeConfig) map[string][]valueNormalizer {
	out := map[string][]valueNormalizer{}
	for _, c := range cfgs {
		var chain []valueNormalizer
		if len(c.Templates) > 0 {
			chain = append(chain, templateNormalizer(c.Templates))
		}
		switch c.Kind {
		case NormalizeURLPath:
			chain = append(chain, urlpath.Normalize)
		case NormalizeErrorClass:
			chain = append(chain, errorClass)
		}
		for _, a := range c.Attributes {
			out[a] = append(out[a], chain...)
		}
	}
	return out
}

// templateNormalizer applies the first template whose anchored regex matches the whole value.
func templateNormalizer(ts []TemplateConfig) valueNormalizer {
	type template struct {
		re   *regexp.Regexp
		repl string
	}
	compiled := make([]template, len(ts))
	for i, t := range ts {
		compiled[i] = template{re: regexp.MustCompile("^(?:" + t.Regex + ")$"), repl: t.Replacement}
	}
	return func(v string) string {
		for _, t := range compiled {
			if t.re.MatchString(v) {
				return t.re.ReplaceAllString(v, t.repl)
			}
		}
		return v
	}
}

// errorClass turns an error message into its class: every word carrying a digit or an @
// (ids, counts, addresses, durations, emails) becomes {id}, quoted text becomes "{}",
// and the result is cut at maxErrorClassLen bytes.
//
//	`user 8812 not found: "alice@example.com"` -> `user {id} not found: "{}"`
func errorClass(msg string) string {
	if !errorNeedsClass(msg) {
		return msg
	}
	var b strings.Builder
	b.Grow(min(len(msg), maxErrorClassLen))
	for i := 0; i < len(msg) && b.Len() < maxErrorClassLen; {
		c := msg[i]
		switch {
		case c == '"' || c == '\'' || c == '`':
			end := strings.IndexByte(msg[i+1:], c)
			if end < 0 {
				end = len(msg) - i - 1
			}
			b.WriteByte(c)
			b.WriteString("{}")
			b.WriteByte(c)
			i += end + 2
		case c == ' ' || c == '\t' || c == '\n' || c == ',' || c == ';' || c == '(' || c == ')' || c == '[' || c == ']' || c == '=':
			b.WriteByte(c)
			i++
		default:
			end := i
			for end < len(msg) && !isWordBreak(msg[end]) {
				end++
			}
			word := strings.TrimRight(msg[i:end], ":.")
			if strings.ContainsAny(word, "0123456789@") {
				b.WriteString("{id}")
				b.WriteString(msg[i+len(word) : end])
			} else {
				b.WriteString(msg[i:end])
			}
			i = end
		}
	}
	out := b.String()
	if len(out) > maxErrorClassLen {
		out = out[:maxErrorClassLen]
	}
	return out
}

func isWordBreak(c byte) bool {
	switch c {
	case ' ', '\t', '\n', ',', ';', '(', ')', '[', ']', '=', '"', '\'', '`':
		return true
	}
	return false
}

// errorNeedsClass reports whether errorClass would change msg, without allocating.
func errorNeedsClass(msg string) bool {
	if len(msg) > maxErrorClassLen {
		return true
	}
	for i := 0; i < len(msg); i++ {
		switch c := msg[i]; {
		case c >= '0' && c <= '9', c == '@':
			return true
		case c == '"' || c == '\'' || c == '`':
			end := strings.IndexByte(msg[i+1:], c)
			if end != 2 || msg[i+1:i+3] != "{}" {
				return true
			}
			i += 3
		}
	}
	return false
}
