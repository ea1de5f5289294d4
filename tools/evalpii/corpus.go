package main

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"net/url"
	"strings"

	"github.com/otelcol-warden/otelcol-warden/internal/luhn"
)

// A labelled corpus generated from a seed: positives of every pattern entity type in the locations pii_scrub
// walks, mixed with hard negatives (machine identifiers that naive regexes damage).

// span is a labelled region of a text, in bytes.
type span struct {
	typ        string
	start, end int
}

// sample is one text placed in one location of one record.
type sample struct {
	loc  string // log_body, log_body_map, log_attr, span_name, span_attr, url_full, exception_message, phone_key, datapoint_attr
	key  string // attribute key, where the location has one
	text string
	gold []span // personal data
	negs []span // hard negatives (must come out unchanged)
}

// builder accumulates a text and its labels.
type builder struct {
	sb   strings.Builder
	gold []span
	negs []span
}

func (b *builder) lit(s string) { b.sb.WriteString(s) }

func (b *builder) pii(typ, v string) {
	s := b.sb.Len()
	b.sb.WriteString(v)
	b.gold = append(b.gold, span{typ, s, b.sb.Len()})
}

func (b *builder) neg(typ, v string) {
	s := b.sb.Len()
	b.sb.WriteString(v)
	b.negs = append(b.negs, span{typ, s, b.sb.Len()})
}

func (b *builder) sample(loc, key string) sample {
	return sample{loc: loc, key: key, text: b.sb.String(), gold: b.gold, negs: b.negs}
}

type gen struct{ r *rand.Rand }

var (
	firstNames = []string{"jane", "john", "maria", "wei", "ahmed", "olga", "li", "fatima", "pierre", "anna", "kofi", "sofia", "raj", "emma", "lucas", "yuki", "noah", "amelie", "omar", "ines"}
	lastNames  = []string{"roe", "doe", "garcia", "zhang", "hassan", "ivanova", "chen", "okafor", "dubois", "kowalski", "mensah", "rossi", "patel", "smith", "silva", "tanaka", "muller", "leroy", "nasser", "costa"}
	domains    = []string{"example.com", "mail.example.org", "corp.example.net", "example.co.uk", "uni.example.edu", "shop.example.io", "example.de"}
	hosts      = []string{"shop.example.com", "api.example.org", "auth.example.net", "cdn.example.io"}
)

func (g gen) pick(xs []string) string { return xs[g.r.IntN(len(xs))] }

func (g gen) digits(n int) string {
	var sb strings.Builder
	for i := 0; i < n; i++ {
		sb.WriteByte(byte('0' + g.r.IntN(10)))
	}
	return sb.String()
}

func (g gen) alnum(n int, alphabet string) string {
	var sb strings.Builder
	for i := 0; i < n; i++ {
		sb.WriteByte(alphabet[g.r.IntN(len(alphabet))])
	}
	return sb.String()
}

const (
	hexChars   = "0123456789abcdef"
	b64url     = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	lowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789"
)

func (g gen) email() string {
	f, l, d := g.pick(firstNames), g.pick(lastNames), g.pick(domains)
	var local string
	switch g.r.IntN(6) {
	case 0:
		local = f + "." + l
	case 1:
		local = f[:1] + l
	case 2:
		local = f + "_" + l + g.digits(2)
	case 3:
		local = f + "+" + g.pick([]string{"news", "shop", "test"})
	case 4:
		local = strings.ToUpper(f[:1]) + f[1:] + "." + strings.ToUpper(l[:1]) + l[1:]
	default:
		local = l + g.digits(3)
	}
	if g.r.IntN(5) == 0 {
		d = strings.ToUpper(d[:1]) + d[1:]
	}
	return local + "@" + d
}

func (g gen) card() string {
	brands := []struct {
		prefix string
		length int
	}{
		{"4", 16}, {"4", 16}, {"4", 13}, {"51", 16}, {"55", 16}, {"2221", 16}, {"2720", 16}, {"34", 15}, {"37", 15},
		{"6011", 16}, {"65", 16}, {"3528", 16}, {"3589", 16}, {"36", 14}, {"300", 14}, {"6304", 16}, {"6759", 12}, {"62", 16}, {"1800", 15},
	}
	b := brands[g.r.IntN(len(brands))]
	payload := b.prefix + g.digits(b.length-len(b.prefix)-1)
	n := luhn.Complete(payload)
	sep := []string{"", " ", "-"}[g.r.IntN(3)]
	if sep == "" {
		return n
	}
	var groups []int
	switch len(n) {
	case 15:
		groups = []int{4, 6, 5}
	case 14:
		groups = []int{4, 6, 4}
	case 16:
		groups = []int{4, 4, 4, 4}
	default:
		return n
	}
	var parts []string
	at := 0
	for _, gl := range groups {
		parts = append(parts, n[at:at+gl])
		at += gl
	}
	return strings.Join(parts, sep)
}

func (g gen) ssn() string {
	area := 1 + g.r.IntN(899)
	if area == 666 {
		area = 667
	}
	return fmt.Sprintf("%03d-%02d-%04d", area, 1+g.r.IntN(99), 1+g.r.IntN(9999))
}

func (g gen) ipv4() string {
	for {
		a := netip.AddrFrom4([4]byte{byte(1 + g.r.IntN(223)), byte(g.r.IntN(256)), byte(g.r.IntN(256)), byte(1 + g.r.IntN(254))})
		if !a.IsLoopback() && !a.IsMulticast() {
			return a.String()
		}
	}
}

func (g gen) ipv6() string {
	var b [16]byte
	b[0], b[1] = 0x20, 0x01
	for i := 2; i < 16; i++ {
		if g.r.IntN(3) > 0 || i < 6 {
			b[i] = byte(g.r.IntN(256))
		}
	}
	return netip.AddrFrom16(b).String()
}

func (g gen) iban() string {
	type country struct {
		cc      string
		letters int
		digits  int
	}
	cs := []country{{"DE", 0, 18}, {"GB", 4, 14}, {"FR", 0, 23}, {"ES", 0, 20}, {"NL", 4, 10}, {"IT", 1, 22}, {"CH", 0, 17}, {"BE", 0, 12}, {"AT", 0, 16}, {"PL", 0, 24}}
	c := cs[g.r.IntN(len(cs))]
	bban := g.alnum(c.letters, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") + g.digits(c.digits)
	check := 98 - mod97(bban+c.cc+"00")
	iban := fmt.Sprintf("%s%02d%s", c.cc, check, bban)
	switch g.r.IntN(4) {
	case 0:
		var parts []string
		for i := 0; i < len(iban); i += 4 {
			parts = append(parts, iban[i:min(i+4, len(iban))])
		}
		return strings.Join(parts, " ")
	case 1:
		return strings.ToLower(iban)
	}
	return iban
}

func mod97(s string) int {
	r := 0
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			r = (r*10 + int(c-'0')) % 97
		default:
			r = (r*100 + int(c-'A') + 10) % 97
		}
	}
	return r
}

func (g gen) jwt() string {
	headers := []string{`{"alg":"HS256","typ":"JWT"}`, `{"alg":"RS256","kid":"` + g.alnum(8, hexChars) + `","typ":"JWT"}`, `{"typ":"JWT","alg":"ES256"}`}
	h := base64.RawURLEncoding.EncodeToString([]byte(g.pick(headers)))
	p := base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf(`{"sub":"%s","iat":%d,"scope":"read write"}`, g.digits(6), 1700000000+g.r.IntN(1e8))))
	return h + "." + p + "." + g.alnum(43, b64url)
}

// phone returns a number that is detectable: with a leading + (no context needed) or a national format (the
// caller puts a context word before it).
func (g gen) phone(national bool) string {
	if national {
		a, b, c := 200+g.r.IntN(800), 200+g.r.IntN(800), g.digits(4)
		switch g.r.IntN(4) {
		case 0:
			return fmt.Sprintf("(%d) %d-%s", a, b, c)
		case 1:
			return fmt.Sprintf("%d-%d-%s", a, b, c)
		case 2:
			return fmt.Sprintf("%d.%d.%s", a, b, c)
		default:
			return fmt.Sprintf("%d%d%s", a, b, c)
		}
	}
	switch g.r.IntN(4) {
	case 0:
		return fmt.Sprintf("+1 %d %d %s", 200+g.r.IntN(800), 200+g.r.IntN(800), g.digits(4))
	case 1:
		return fmt.Sprintf("+44 20 %s %s", g.digits(4), g.digits(4))
	case 2:
		return fmt.Sprintf("+49 30 %s", g.digits(8))
	default:
		return fmt.Sprintf("+1 (%d) %d-%s", 200+g.r.IntN(800), 200+g.r.IntN(800), g.digits(4))
	}
}

var phoneContext = []string{"phone: ", "call ", "tel. ", "mobile ", "Phone number ", "contact phone ", "sms to "}

func (g gen) bearer() string { return g.alnum(24+g.r.IntN(16), b64url) }

func (g gen) basic() string {
	return base64.StdEncoding.EncodeToString([]byte(g.pick(firstNames) + ":" + g.alnum(10, lowerAlnum)))
}

// Hard negatives.
func (g gen) negative() (string, string) {
	switch g.r.IntN(14) {
	case 0:
		return "trace_id", g.alnum(32, hexChars)
	case 1:
		return "span_id", g.alnum(16, hexChars)
	case 2:
		return "uuid", fmt.Sprintf("%s-%s-4%s-%s-%s", g.alnum(8, hexChars), g.alnum(4, hexChars), g.alnum(3, hexChars), g.alnum(4, hexChars), g.alnum(12, hexChars))
	case 3:
		return "pod_name", fmt.Sprintf("%s-%s-%s", g.pick([]string{"checkout", "web", "auth", "inventory"}), g.alnum(9, "bcdfghjklmnpqrstvwxz2456789"), g.alnum(5, "bcdfghjklmnpqrstvwxz2456789"))
	case 4:
		return "timestamp", fmt.Sprintf("2026-%02d-%02dT%02d:%02d:%02d.%03dZ", 1+g.r.IntN(12), 1+g.r.IntN(28), g.r.IntN(24), g.r.IntN(60), g.r.IntN(60), g.r.IntN(1000))
	case 5:
		return "unix_ms", fmt.Sprintf("%d", 1700000000000+g.r.Int64N(1e11))
	case 6:
		return "version", g.pick([]string{fmt.Sprintf("%d.%d.%d", g.r.IntN(3), g.r.IntN(30), g.r.IntN(20)), fmt.Sprintf("v%d.%d.%d", 1, g.r.IntN(30), g.r.IntN(20)), fmt.Sprintf("10.0.%d.%d", 19000+g.r.IntN(999), g.r.IntN(9))})
	case 7:
		for {
			d := g.pick([]string{"4", "5", "6", "3"}) + g.digits(15)
			if !luhn.Valid(d) {
				return "non_luhn_16", d
			}
		}
	case 8:
		return "block_id", fmt.Sprintf("blk_%s%d", g.pick([]string{"", "-"}), 1e18+g.r.Int64N(8e18))
	case 9:
		return "sha", g.alnum(40, hexChars)
	case 10:
		return "datetime", fmt.Sprintf("2026-%02d-%02d %02d:%02d:%02d,%03d", 1+g.r.IntN(12), 1+g.r.IntN(28), g.r.IntN(24), g.r.IntN(60), g.r.IntN(60), g.r.IntN(1000))
	case 11:
		return "order_no", fmt.Sprintf("%d", 100000000+g.r.IntN(899999999))
	case 12:
		return "k8s_node", fmt.Sprintf("ip-10-%d-%d-%d.ec2.internal", g.r.IntN(256), g.r.IntN(256), g.r.IntN(256))
	default:
		return "duration", fmt.Sprintf("%d.%03ds", g.r.IntN(100), g.r.IntN(1000))
	}
}

// piiItem writes one personal-data item (with its context, where the type needs one) into b.
func (g gen) piiItem(b *builder, typ string) {
	switch typ {
	case "email":
		b.lit(g.pick([]string{"user ", "sent to ", "owner=", "from <", "contact: "}))
		b.pii("email", g.email())
	case "card":
		b.lit(g.pick([]string{"card ", "pan=", "paid with ", "cc: "}))
		b.pii("card", g.card())
	case "ssn":
		b.lit(g.pick([]string{"ssn ", "SSN: ", "social security number ", "taxpayer "}))
		b.pii("ssn", g.ssn())
	case "ip":
		b.lit(g.pick([]string{"client ", "from ", "remote_addr=", "peer "}))
		if g.r.IntN(4) == 0 {
			b.pii("ip", g.ipv6())
		} else {
			b.pii("ip", g.ipv4())
		}
	case "iban":
		b.lit(g.pick([]string{"iban ", "IBAN: ", "wire to ", "account "}))
		b.pii("iban", g.iban())
	case "phone":
		if g.r.IntN(2) == 0 {
			b.lit(g.pick(phoneContext))
			b.pii("phone", g.phone(true))
		} else {
			b.lit(g.pick([]string{"reach me at ", "number ", "via "}))
			b.pii("phone", g.phone(false))
		}
	case "jwt":
		b.lit(g.pick([]string{"token ", "id_token=", "jwt: "}))
		b.pii("jwt", g.jwt())
	case "auth":
		b.lit("Authorization: ")
		if g.r.IntN(2) == 0 {
			b.lit("Bearer ")
			b.pii("auth", g.bearer())
		} else {
			b.lit("Basic ")
			b.pii("auth", g.basic())
		}
	}
}

var textTypes = []string{"email", "card", "ssn", "ip", "iban", "phone", "jwt", "auth"}

var fillers = []string{" ok", " failed", ", retrying", " (cached)", "; done", " in 12ms", ""}

// generate builds n samples per location with one to three items and one or two hard negatives each, plus
// clean samples that hold only negatives.
// textLocations are where free text with personal data and machine identifiers is placed.
var textLocations = []struct{ loc, key string }{
	{"log_body", ""}, {"log_body_map", "detail"}, {"log_attr", "app.note"}, {"span_attr", "app.note"},
	{"exception_message", "exception.message"}, {"span_name", ""},
}

// generate builds the corpus: n samples per text location, then n each of URLs, phone-keyed values, metric data
// point attributes and clean samples. The order of the random draws is the corpus: keep it.
func generate(seed uint64, n int) []sample {
	g := gen{rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	var out []sample
	for _, tl := range textLocations {
		for i := 0; i < n; i++ {
			out = append(out, g.textSample(tl.loc, tl.key))
		}
	}
	for i := 0; i < n; i++ {
		out = append(out, g.urlSample())
	}
	// Phone numbers under a phone-like key: national format, no context word.
	for i := 0; i < n; i++ {
		var b builder
		b.pii("phone", g.phone(true))
		out = append(out, b.sample("phone_key", "customer.phone"))
	}
	for i := 0; i < n; i++ {
		out = append(out, g.datapointSample())
	}
	for i := 0; i < n; i++ {
		out = append(out, g.cleanSample())
	}
	return out
}

// textSample is free text: one to three personal data items among machine identifiers and filler words.
func (g gen) textSample(loc, key string) sample {
	var b builder
	items := 1 + g.r.IntN(3)
	if loc == "span_name" {
		items = 1
		b.lit(g.pick([]string{"GET /users/", "POST /notify ", "lookup "}))
	}
	for k := 0; k < items; k++ {
		if k > 0 || g.r.IntN(2) == 0 {
			t, v := g.negative()
			b.lit(g.pick([]string{"req ", "at ", "id=", "pod ", "v "}))
			b.neg(t, v)
			b.lit(" ")
		}
		g.piiItem(&b, textTypes[g.r.IntN(len(textTypes))])
		b.lit(g.pick(fillers))
		b.lit(" ")
	}
	t, v := g.negative()
	b.lit("trace ")
	b.neg(t, v)
	return b.sample(loc, key)
}

// urlSample is a url.full value: userinfo, secret query values, personal data in path segments and query
// values (percent-encoded).
func (g gen) urlSample() sample {
	var b builder
	b.lit("https://")
	if g.r.IntN(4) == 0 {
		b.pii("url_secret", g.pick(firstNames)+":"+g.alnum(10, lowerAlnum)+"@")
	}
	b.lit(g.pick(hosts))
	b.lit("/api/v1/")
	switch g.r.IntN(3) {
	case 0:
		b.lit("users/")
		b.pii("email", g.email())
		b.lit("/orders/")
	case 1:
		b.lit("orders/")
		b.neg("uuid", fmt.Sprintf("%s-%s-4%s-%s-%s", g.alnum(8, hexChars), g.alnum(4, hexChars), g.alnum(3, hexChars), g.alnum(4, hexChars), g.alnum(12, hexChars)))
	default:
		b.lit("items/")
		b.neg("order_no", fmt.Sprintf("%d", 100000+g.r.IntN(899999)))
	}
	b.lit("?")
	b.lit(g.pick([]string{"token", "access_token", "sig", "api_key", "session"}))
	b.lit("=")
	b.pii("url_secret", g.alnum(20, b64url))
	if g.r.IntN(2) == 0 {
		b.lit("&email=")
		b.pii("email", url.QueryEscape(g.email()))
	}
	if g.r.IntN(3) == 0 {
		b.lit("&phone=")
		b.pii("phone", url.QueryEscape(g.phone(true)))
	}
	b.lit("&page=")
	b.lit(g.digits(1))
	return b.sample("url_full", "url.full")
}

// datapointSample is a metric data point attribute: either personal data or a machine identifier.
func (g gen) datapointSample() sample {
	var b builder
	if g.r.IntN(2) == 0 {
		typ := []string{"email", "ip", "card", "iban"}[g.r.IntN(4)]
		switch typ {
		case "email":
			b.pii(typ, g.email())
		case "ip":
			b.pii(typ, g.ipv4())
		case "card":
			b.pii(typ, g.card())
		default:
			b.pii(typ, g.iban())
		}
	} else {
		t, v := g.negative()
		b.neg(t, v)
	}
	return b.sample("datapoint_attr", "app.label")
}

// cleanSample holds several machine identifiers and nothing personal.
func (g gen) cleanSample() sample {
	var b builder
	for k := 0; k < 4; k++ {
		t, v := g.negative()
		b.lit(g.pick([]string{"request ", "took ", "pod ", "id=", "at ", "version ", "node "}))
		b.neg(t, v)
		b.lit(" ")
	}
	return b.sample(textLocations[g.r.IntN(len(textLocations)-1)].loc, "app.note")
}
