package piiscrub // import "github.com/otelcol-warden/otelcol-warden/processor/piiscrub"

import (
	"time"
)

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

	// work counts the work done (work.go): bytes passed over, candidates dispatched, bytes examined by each
	// detector's search and validation, map entries and values walked.
	work workCounter
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
