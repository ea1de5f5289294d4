package piiscrub // import "github.com/otelcol-warden/otelcol-warden/processor/piiscrub"

import "strings"

// defaultKeyRules apply after the user's key_rules (first match wins). Keys are case-sensitive, as in the
// semantic conventions (HTTP header attributes are lower-case there).
var defaultKeyRules = []KeyRule{
	// Machine identifiers and schema fields: never scanned, never changed.
	{Action: ActionKeep, Keys: []string{
		"pii.scrubbed",
		"trace_id", "span_id", "traceId", "spanId", "trace.id", "span.id", "parent_id", "parentId",
		"service.name", "service.namespace", "service.version", "service.instance.id",
		"telemetry.sdk.*", "telemetry.distro.*", "otel.*",
		"k8s.*.name", "k8s.*.uid", "container.id", "container.name", "container.image.*", "container.runtime",
		"host.id", "host.arch", "host.type", "host.image.*", "os.*", "process.pid", "process.parent_pid",
		"process.runtime.*", "process.executable.name", "cloud.*", "deployment.environment", "deployment.environment.name",
		"http.request.method", "http.response.status_code", "http.route", "url.scheme", "server.port", "client.port",
		// Not network.*: network.peer.address on a server span is the client's IP, which is personal data.
		"network.protocol.*", "network.transport", "network.type", "network.local.port", "network.peer.port",
		"network.connection.*", "network.carrier.*", "rpc.system", "rpc.service", "rpc.method", "rpc.grpc.status_code", "db.system", "db.system.name",
		"messaging.system", "messaging.operation*", "code.function", "code.function.name", "code.namespace",
		"code.lineno", "code.line.number", "thread.id", "thread.name", "log.iostream", "event.name", "error.type",
	}},
	// Credentials and direct identifiers that are never needed downstream.
	{Action: ActionDelete, Keys: []string{
		"user.email", "enduser.email",
		"http.request.header.authorization", "http.request.header.proxy-authorization",
		"http.request.header.cookie", "http.response.header.set-cookie",
		"http.request.header.x-api-key", "http.request.header.x-auth-token", "http.request.header.x-amz-security-token",
		"password", "*.password", "*_password", "passwd", "*.passwd", "secret", "*.secret", "*_secret",
		"api_key", "*.api_key", "*_api_key", "apikey", "access_token", "*.access_token", "refresh_token",
		"*.refresh_token", "client_secret", "*.client_secret", "private_key", "*.private_key",
	}},
	// Identifiers of a person that engineers still need to correlate: pseudonymised.
	{Action: ActionHash, Entity: "user_id", Keys: []string{
		"user.id", "enduser.id", "enduser.pseudo.id", "user_id", "userId", "customer.id", "customer_id",
	}},
	{Action: ActionHash, Entity: "user_name", Keys: []string{
		"user.name", "user.full_name", "enduser.name", "user_name", "username", "user.username",
	}},
}

// globSet matches a key against exact keys and globs ('*' any run, '?' one byte) and returns the lowest rule
// order that matches. Globs are bucketed by the first byte of their literal prefix (or the last byte of their
// literal suffix), so a key is compared with a handful of candidates, not the whole list.
type globSet struct {
	exact    exactTable
	byFirst  [256][]globEntry
	byLast   [256][]globEntry
	always   []globEntry
	hasGlobs bool
}

// exactTable is an open-addressing hash table of exact keys. The hash reads four bytes of the key, so a lookup
// costs a few nanoseconds and a string compare on a hit (a Go map was a fifth of the time per attribute).
type exactTable struct {
	slots []exactSlot
	mask  uint32
	n     int
}

type exactSlot struct {
	key   string
	order int
	used  bool
}

func exactHash(k string) uint32 {
	n := len(k)
	if n == 0 {
		return 0
	}
	h := uint32(n)*0x9e3779b1 ^ uint32(k[0])*0x85ebca6b ^ uint32(k[n-1])*0xc2b2ae35 ^ uint32(k[n/2])*0x27d4eb2f ^ uint32(k[n*3/4])*0x165667b1
	return h ^ h>>15
}

func (t *exactTable) lookup(k string) (int, bool) {
	if t.n == 0 {
		return 0, false
	}
	for i := exactHash(k) & t.mask; ; i = (i + 1) & t.mask {
		s := &t.slots[i]
		if !s.used {
			return 0, false
		}
		if len(s.key) == len(k) && s.key == k {
			return s.order, true
		}
	}
}

func (t *exactTable) insert(k string, order int) {
	if _, dup := t.lookup(k); dup {
		return // the first rule that names a key wins
	}
	if (t.n+1)*4 > len(t.slots) {
		old := t.slots
		size := 64
		for size < (t.n+1)*4 {
			size *= 2
		}
		t.slots, t.mask, t.n = make([]exactSlot, size), uint32(size-1), 0
		for _, s := range old {
			if s.used {
				t.insert(s.key, s.order)
			}
		}
	}
	for i := exactHash(k) & t.mask; ; i = (i + 1) & t.mask {
		if !t.slots[i].used {
			t.slots[i] = exactSlot{key: k, order: order, used: true}
			t.n++
			return
		}
	}
}

type globEntry struct {
	pat   string
	order int
	kind  uint8  // globGeneral, globPrefix ("lit*"), globSuffix ("*lit")
	lit   string // the literal of a prefix or suffix glob
}

const (
	globGeneral uint8 = iota
	globPrefix
	globSuffix
)

func (e *globEntry) match(k string) bool {
	switch e.kind {
	case globPrefix:
		return strings.HasPrefix(k, e.lit)
	case globSuffix:
		// Compare the second-to-last byte first: the bucket already matched the last one.
		n, m := len(k), len(e.lit)
		return n >= m && (m < 2 || k[n-2] == e.lit[m-2]) && k[n-m:] == e.lit
	}
	return globMatch(e.pat, k)
}

func newGlobSet() *globSet { return &globSet{} }

func (g *globSet) add(pat string, order int) {
	if !strings.ContainsAny(pat, "*?") {
		g.exact.insert(pat, order)
		return
	}
	g.hasGlobs = true
	e := globEntry{pat: pat, order: order}
	if inner := pat[:len(pat)-1]; last(pat) == '*' && !strings.ContainsAny(inner, "*?") {
		e.kind, e.lit = globPrefix, inner
	} else if inner := pat[1:]; pat[0] == '*' && !strings.ContainsAny(inner, "*?") {
		e.kind, e.lit = globSuffix, inner
	}
	switch {
	case pat[0] != '*' && pat[0] != '?':
		g.byFirst[pat[0]] = append(g.byFirst[pat[0]], e)
	case last(pat) != '*' && last(pat) != '?':
		g.byLast[last(pat)] = append(g.byLast[last(pat)], e)
	default:
		g.always = append(g.always, e)
	}
}

func last(s string) byte { return s[len(s)-1] }

// match returns the lowest order of a matching entry, or -1.
func (g *globSet) match(k string) int {
	best := -1
	if o, ok := g.exact.lookup(k); ok {
		best = o
	}
	if !g.hasGlobs || k == "" {
		return best
	}
	for _, list := range [3][]globEntry{g.byFirst[k[0]], g.byLast[k[len(k)-1]], g.always} {
		for i := range list {
			e := &list[i]
			if best >= 0 && e.order >= best {
				continue
			}
			if e.match(k) {
				best = e.order
			}
		}
	}
	return best
}

// globMatch matches '*' (any run of bytes, including none) and '?' (one byte); linear with one backtrack point.
func globMatch(pat, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pat) && (pat[p] == '?' || pat[p] == s[i]):
			p++
			i++
		case p < len(pat) && pat[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pat) && pat[p] == '*' {
		p++
	}
	return p == len(pat)
}
