package piiscrub // import "github.com/otelcol-warden/otelcol-warden/processor/piiscrub"

import (
	"net/netip"
	"strings"
	"time"
)

// noEntity marks "no finding".
const noEntity entity = 0xFFFF

type signalKind uint8

const (
	sigTraces signalKind = iota
	sigLogs
	sigMetrics
	numSignals
)

var signalNames = [numSignals]string{"traces", "logs", "metrics"}

// location is where in a record a finding was; a fixed enum, so telemetry stays bounded.
type location uint8

const (
	locResource location = iota
	locScope
	locSpanName
	locSpanAttr
	locStatus
	locEventName
	locEventAttr
	locLinkAttr
	locLogBody
	locLogAttr
	locLogEventName
	locDataPointAttr
	locExemplarAttr
	numLocations
)

var locationNames = [numLocations]string{
	"resource", "scope", "span_name", "span_attr", "status_message", "event_name", "event_attr", "link_attr",
	"log_body", "log_attr", "log_event_name", "datapoint_attr", "exemplar_attr",
}

// reason is why a value or record could not be processed.
type reason uint8

const (
	reasonOversize reason = iota
	reasonTooDeep
	reasonInvalidUTF8
	reasonMissingKey
	reasonPanic
	reasonKeyReload
	numReasons
)

var reasonNames = [numReasons]string{"oversize_value", "too_deep", "invalid_utf8", "missing_key", "panic", "key_reload"}

var actionIndex = map[Action]uint8{ActionHash: 0, ActionMask: 1, ActionRedact: 2, ActionDelete: 3, ActionKeep: 4}
var actionNames = [5]Action{ActionHash, ActionMask, ActionRedact, ActionDelete, ActionKeep}

type countKey struct {
	ent entity
	act uint8
	loc location
}

// Key context flags, computed lazily from the attribute key when a candidate needs them.
const (
	keyPhone uint8 = 1 << iota
	keySSN
	keyVersion
	keyID
	keyDone
)

// state is the per-batch working set: scratch buffers, the current record's key and flags, and counters that are
// flushed to telemetry once per batch. States are pooled; none is shared between goroutines.
type state struct {
	e      *engine
	signal signalKind
	loc    location

	now     time.Time
	day     int64 // UTC day number of the current record
	dk      *dayKey
	dkDay   int64
	dkKeys  *keySet
	dkValid bool

	key      string
	keyFlags uint8
	ctxPhone uint8 // context cache for the number being classified
	ctxSSN   uint8
	urlKind  urlKind // the current attribute is a URL attribute (url_keys)

	recChanged bool // something in the current record was replaced or deleted
	recError   bool // the current record could not be fully processed
	recReason  reason
	deleteAttr bool // a finding in the current attribute resolved to delete

	buf     []byte
	patBuf  []byte
	norm    []byte
	msg     []byte
	sum     []byte
	dec     [maxURLDepth + 2][]byte
	tmp     [maxURLDepth + 2][]byte
	ibanBuf [34]byte
	digBuf  [24]byte
	groups  numGroups
	jwtBuf  [1536]byte
	renames []rename

	counts       map[countKey]int64
	problems     [numReasons]int64
	dropped      [numReasons]int64
	bytesScanned int64
	processed    int64
	scrubbed     int64

	// steps counts the work done: bytes passed over, candidates dispatched, bytes examined by each detector's
	// search and validation (context windows at their size), map entries and values walked. It only grows, is
	// never reported, and costs one add per loop rather than per byte; tests use it to show that the work is
	// linear in the input without timing anything (badinput_test.go).
	steps int64
}

type rename struct {
	idx    int
	newKey string
}

func newState(e *engine) *state {
	return &state{e: e, counts: make(map[countKey]int64)}
}

func (st *state) reset(sig signalKind) {
	st.signal = sig
	st.now = time.Now()
	st.dkValid = false
	st.dk = nil
	st.key = ""
	st.keyFlags = 0
	clear(st.counts)
	st.problems = [numReasons]int64{}
	st.dropped = [numReasons]int64{}
	st.bytesScanned, st.processed, st.scrubbed = 0, 0, 0
}

// setTime sets the record timestamp (Unix nanoseconds; 0 means processing time) used to pick the day key.
func (st *state) setTime(ts uint64) {
	if ts == 0 {
		st.day = st.now.Unix() / 86400
		return
	}
	st.day = int64(ts / uint64(24*time.Hour))
}

func (st *state) beginRecord() {
	st.recChanged = false
	st.recError = false
}

// problem counts a processing problem; fatal ones mark the record as not processable (see fail_closed).
func (st *state) problem(r reason, fatal bool) {
	st.problems[r]++
	if fatal && !st.recError {
		st.recError = true
		st.recReason = r
	}
}

func (st *state) count(ent entity, a Action) {
	st.counts[countKey{ent: ent, act: actionIndex[a], loc: st.loc}]++
}

func (st *state) setKey(k string) {
	st.key = k
	st.keyFlags = 0
}

func (st *state) keyFlag(f uint8) bool {
	if st.keyFlags&keyDone == 0 {
		st.keyFlags = classifyKey(st.key) | keyDone
		st.steps += int64(8*min(len(st.key), 64) + 64) // a few substring searches over the key, the id suffixes
	}
	return st.keyFlags&f != 0
}

// classifyKey derives context from an attribute key: phone-like, SSN-like, version-like, identifier-like.
func classifyKey(k string) uint8 {
	if k == "" {
		return 0
	}
	var buf [64]byte
	lk := buf[:0]
	for i := 0; i < len(k) && i < len(buf); i++ {
		lk = append(lk, lower(k[i]))
	}
	s := string(lk)
	var f uint8
	if strings.Contains(s, "phone") || strings.Contains(s, "mobile") || strings.Contains(s, "msisdn") ||
		strings.Contains(s, "fax") || hasToken(s, "tel") || hasToken(s, "cell") || strings.Contains(s, "telephone") {
		f |= keyPhone
	}
	if hasToken(s, "ssn") || strings.Contains(s, "social_security") || strings.Contains(s, "socialsecurity") ||
		strings.Contains(s, "social.security") || strings.Contains(s, "social-security") {
		f |= keySSN
	}
	if strings.Contains(s, "version") {
		f |= keyVersion
	}
	if keyLooksLikeID(k) {
		f |= keyID
	}
	return f
}

// hasToken reports whether tok appears in s delimited by non-letters.
func hasToken(s, tok string) bool {
	for off := 0; ; {
		x := strings.Index(s[off:], tok)
		if x < 0 {
			return false
		}
		p := off + x
		e := p + len(tok)
		if (p == 0 || !isAlpha(s[p-1])) && (e == len(s) || !isAlpha(s[e])) {
			return true
		}
		off = p + 1
	}
}

var idSuffixes = []string{"id", "ids", "uid", "uuid", "guid", "timestamp", "ts", "time", "at", "ms", "ns", "nanos", "offset", "seq", "sequence", "nonce", "number_of", "count"}

// keyLooksLikeID reports whether a key names an identifier or a time: trace_id, spanId, job.id, created_at,
// timestamp_ms. The suffix must follow a separator or a lower-to-upper case change.
func keyLooksLikeID(k string) bool {
	if k == "" {
		return false
	}
	for _, suf := range idSuffixes {
		if len(k) < len(suf) {
			continue
		}
		tail := k[len(k)-len(suf):]
		if !strings.EqualFold(tail, suf) {
			continue
		}
		p := len(k) - len(suf)
		if p == 0 {
			return true
		}
		c := k[p-1]
		if c == '_' || c == '.' || c == '-' || c == ' ' {
			return true
		}
		if tail[0] >= 'A' && tail[0] <= 'Z' && c >= 'a' && c <= 'z' {
			return true
		}
	}
	return false
}

// resolve turns a configured action into the one applied here: every finding in a metric attribute takes
// metrics.action (a pseudonym would keep the cardinality); findings in span names become placeholders unless
// span_name is `detector`; without a key (mask_only) hash becomes mask.
func (st *state) resolve(a Action) Action {
	if st.signal == sigMetrics {
		a = st.e.metricsAction
	} else if st.loc == locSpanName && st.e.spanNameRedact {
		a = ActionRedact
	}
	if a == ActionHash && st.e.keys == nil {
		a = ActionMask
	}
	return a
}

// emit appends the replacement of a built-in detector's finding.
func (st *state) emit(dst []byte, ent entity, raw string) []byte {
	return st.emitAction(dst, ent, st.e.actions[ent], raw)
}

// emitAction appends the replacement of raw (a finding of type ent) under configured action a.
func (st *state) emitAction(dst []byte, ent entity, a Action, raw string) []byte {
	a = st.resolve(a)
	st.recChanged = true
	switch a {
	case ActionDelete:
		st.deleteAttr = true
		st.count(ent, ActionDelete)
		return st.placeholder(dst, ent)
	case ActionHash:
		dk := st.dayKey()
		if dk == nil {
			st.problem(reasonMissingKey, false)
			st.count(ent, ActionRedact)
			return st.placeholder(dst, ent)
		}
		st.count(ent, ActionHash)
		st.norm = st.normalize(st.norm[:0], ent, raw)
		return st.token(dst, dk, st.e.entityNames[ent], st.norm)
	case ActionMask:
		st.count(ent, ActionMask)
		return st.mask(dst, ent, raw)
	default:
		st.count(ent, ActionRedact)
		return st.placeholder(dst, ent)
	}
}

func (st *state) placeholder(dst []byte, ent entity) []byte {
	if ent == entURLSecret {
		return append(dst, "REDACTED"...)
	}
	dst = append(dst, '{')
	dst = append(dst, st.e.entityNames[ent]...)
	return append(dst, '}')
}

// normalize gives the value that is pseudonymised: e-mail lower-cased; card, phone and SSN digits only; IP in
// netip's canonical form; IBAN upper-case without spaces; anything else as is.
func (st *state) normalize(dst []byte, ent entity, raw string) []byte {
	switch ent {
	case entEmail:
		for i := 0; i < len(raw); i++ {
			dst = append(dst, lower(raw[i]))
		}
	case entCard, entPhone, entSSN:
		for i := 0; i < len(raw); i++ {
			if isDigit(raw[i]) {
				dst = append(dst, raw[i])
			}
		}
	case entIP:
		if addr, err := netip.ParseAddr(raw); err == nil {
			return addr.Unmap().AppendTo(dst)
		}
		dst = append(dst, raw...)
	case entIBAN:
		for i := 0; i < len(raw); i++ {
			if raw[i] != ' ' {
				dst = append(dst, upper(raw[i]))
			}
		}
	default:
		dst = append(dst, raw...)
	}
	return dst
}

// mask appends the documented mask shape of raw.
func (st *state) mask(dst []byte, ent entity, raw string) []byte {
	switch ent {
	case entEmail:
		if at := strings.LastIndexByte(raw, '@'); at >= 0 {
			dst = append(dst, "***@"...)
			for i := at + 1; i < len(raw); i++ {
				dst = append(dst, lower(raw[i]))
			}
			return dst
		}
	case entCard:
		return appendLastDigits(append(dst, "****"...), raw, 4)
	case entPhone:
		return appendLastDigits(append(dst, "***"...), raw, 2)
	case entSSN:
		return append(dst, "***-**-****"...)
	case entIP:
		if addr, err := netip.ParseAddr(raw); err == nil {
			bits := st.e.ipMaskV4
			if addr.Is6() {
				bits = st.e.ipMaskV6
			}
			if p, err := addr.Prefix(bits); err == nil {
				return p.AppendTo(dst)
			}
		}
	case entIBAN:
		var norm [40]byte
		nb := norm[:0]
		for i := 0; i < len(raw) && len(nb) < len(norm); i++ {
			if raw[i] != ' ' {
				nb = append(nb, upper(raw[i]))
			}
		}
		if len(nb) > 6 {
			dst = append(dst, nb[:2]...)
			for i := 2; i < len(nb)-4; i++ {
				dst = append(dst, '*')
			}
			return append(dst, nb[len(nb)-4:]...)
		}
	case entURLSecret:
		return append(dst, "REDACTED"...)
	}
	return append(dst, "****"...)
}

func appendLastDigits(dst []byte, raw string, k int) []byte {
	var last [4]byte
	n := 0
	for i := len(raw) - 1; i >= 0 && n < k; i-- {
		if isDigit(raw[i]) {
			n++
			last[k-n] = raw[i]
		}
	}
	return append(dst, last[k-n:k]...)
}

// dayKey returns the key for the current record's day (cached for the batch), or nil when the keyset has no key
// for that day.
func (st *state) dayKey() *dayKey {
	ks := st.e.keys.current()
	if st.dkValid && st.dkDay == st.day && st.dkKeys == ks {
		return st.dk
	}
	st.dk = ks.forDay(st.day)
	st.dkDay, st.dkKeys, st.dkValid = st.day, ks, true
	return st.dk
}
