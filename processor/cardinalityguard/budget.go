package cardinalityguard // import "github.com/otelcol-warden/otelcol-warden/processor/cardinalityguard"

import (
	"github.com/axiomhq/hyperloglog"

	"github.com/otelcol-warden/otelcol-warden/internal/statusapi"
)

// maxLabelKeysPerMetric bounds the label trackers of one (scope, metric): attribute keys
// themselves can be unbounded (keys built from ids). Keys beyond it are dropped (reason label_limit).
const maxLabelKeysPerMetric = 1024

// maxRelabelMemo bounds the per-metric memo of relabel results; it is cleared when full.
const maxRelabelMemo = 65536

// admission is what is kept per admitted output series: 40 bytes plus the map's key,
// pointer and overhead. The pointer lets the hot path update it without a map write.
type admission struct {
	lastTs uint64 // last timestamp emitted downstream for this series (pass-through or flush)
	// lastStart and lastValue remember a pass-through monotonic sum, so that if a fold takes
	// the series over, its increases continue exactly from where pass-through left them.
	lastStart uint64
	lastValue float64
	lastSeen  uint32 // processor clock (seconds) of the last input
	// checkedAt and epoch let a pass-through series skip the label steps: they are valid
	// while the budget's epoch is unchanged (no label flagged or released since) and for
	// half of max_stale (so that the label values it carries never age out while it lives).
	checkedAt  uint32
	epoch      uint32
	hasValue   bool
	aggregated bool // true once some input folds into it: every input is then re-aggregated
}

// budget is the state of one (scope, metric name, policy): the series cap and label limits
// are counted here, so one noisy service never spends another service's budget.
type budget struct {
	metric string
	scope  string // "key=value" pairs of the scope attributes present, joined by ",", for reports (values reportable)
	// reportName is the metric name as logs, reports and self-metrics may show it (see reportable).
	reportName string
	policy     *policy
	admitted   map[uint64]*admission
	labels     map[string]*labelState
	relabel    map[uint64]*relabelResult
	// overflows are the budget's overflow series (one per metric identity) -> last seen; each
	// counts against state.max_tracked_series (guard.overflowSeries).
	overflows map[uint64]uint32
	// overflowed counts input points folded into the overflow series since start.
	overflowed uint64
	folded     uint64
	// epoch changes whenever a label of this budget is flagged or released.
	epoch uint32
}

// labelState tracks one label of one budget.
type labelState struct {
	key string
	// reportKey is the key as logs, reports and self-metrics may show it (see reportable).
	reportKey string
	keyHash   uint64
	denied    bool // deny list
	// normalize is the chain of value normalisers configured for this label (nil: none);
	// normCache memoises its results by raw value hash (the same raw paths repeat on every export).
	normalize []valueNormalizer
	normCache map[uint64]normalizedValue
	exclude   bool // never limited nor auto-dropped
	// flagged by detection; in auto mode a flagged label is dropped.
	flagged   bool
	flaggedAt uint32
	values    map[uint64]uint32 // admitted value hash -> last seen
	sentinels uint64            // values replaced by the sentinel since start
	// detection: one sketch per sub-window (ring) and the union of everything older.
	window    []*hyperloglog.Sketch
	history   *hyperloglog.Sketch
	lastNew   uint64 // new distinct values in the last full window
	demand    uint64 // estimated distinct values ever seen
	evaluated bool
}

type relabelResult struct {
	drop bool
	kvs  []relabelKV
}

// relabelKV is one label produced by relabel rules, mapped back to an attribute: when
// origKey is set, the original (typed) attribute value is kept; otherwise value (a string).
type relabelKV struct {
	key     string
	origKey string
	value   string
}

func newBudget(metric, scope string, p *policy) *budget {
	return &budget{
		metric:    metric,
		scope:     scope,
		policy:    p,
		admitted:  map[uint64]*admission{},
		labels:    map[string]*labelState{},
		overflows: map[uint64]uint32{},
	}
}

// label returns the tracker of key, or nil when the budget already tracks too many keys.
func (b *budget) label(key string, detectBuckets int, named map[string]struct{}) *labelState {
	if ls, ok := b.labels[key]; ok {
		return ls
	}
	if len(b.labels) >= maxLabelKeysPerMetric {
		return nil
	}
	_, denied := b.policy.deny[key]
	_, exclude := b.policy.exclude[key]
	ls := &labelState{key: key, reportKey: statusapi.ReportName(key, named), keyHash: keyHash(key), denied: denied, exclude: exclude, normalize: b.policy.normalize[key]}
	if b.policy.maxValues > 0 && !exclude {
		ls.values = map[uint64]uint32{}
	}
	if detectBuckets > 0 && !denied && !exclude {
		ls.window = make([]*hyperloglog.Sketch, detectBuckets)
		for i := range ls.window {
			ls.window[i] = newSketch()
		}
		ls.history = newSketch()
	}
	b.labels[key] = ls
	return ls
}

// newSketch uses precision 12 (~1.6% error, at most 4 KiB dense, a few bytes while sparse):
// the estimate only ranks offenders and flags growth far beyond a threshold.
func newSketch() *hyperloglog.Sketch {
	sk, _ := hyperloglog.NewSketch(12, true)
	return sk
}

// maxNormCache bounds the memo of normalised values per label; it is cleared when full.
const maxNormCache = 1024

type normalizedValue struct {
	value   string
	changed bool
}

// normalized returns raw rewritten by the label's normalisers, memoised by the raw value's hash.
func (ls *labelState) normalized(raw string, h uint64) string {
	if n, ok := ls.normCache[h]; ok {
		if n.changed {
			return n.value
		}
		return raw
	}
	n := raw
	for _, f := range ls.normalize {
		n = f(n)
	}
	if ls.normCache == nil || len(ls.normCache) >= maxNormCache {
		ls.normCache = make(map[uint64]normalizedValue, 64)
	}
	if n == raw {
		ls.normCache[h] = normalizedValue{}
	} else {
		ls.normCache[h] = normalizedValue{value: n, changed: true}
	}
	return n
}
