package cardinalityguard // import "github.com/otelcol-warden/otelcol-warden/processor/cardinalityguard"

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/otelcol-warden/otelcol-warden/internal/pmetricutil"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor"
	"go.uber.org/zap"

	"github.com/otelcol-warden/otelcol-warden/processor/cardinalityguard/internal/metadata"
)

// Reasons for folded and dropped points (attribute "reason" of the self-metrics).
const (
	reasonLabelDropped      = "label_dropped"
	reasonValueNormalized   = "value_normalized"
	reasonLabelLimit        = "label_limit"
	reasonSeriesLimit       = "series_limit"
	reasonSharesOutput      = "shares_output"
	reasonRelabelDrop       = "relabel_drop"
	reasonNonFinite         = "non_finite"
	reasonNegativeCounter   = "negative_counter"
	reasonBoundsMismatch    = "bounds_mismatch"
	reasonBoundsRebucketed  = "bounds_rebucketed"
	reasonInvalidHistogram  = "invalid_histogram"
	reasonSummaryRefused    = "summary_refused"
	reasonStateFull         = "state_full"
	reasonTooManyAttributes = "too_many_attributes"
	reasonEmptyName         = "empty_name"
	reasonOutOfOrder        = "out_of_order"
	reasonDownstreamError   = "downstream_error" // a flush the next consumer refused: folded data lost
)

// OverflowAttribute marks the series that collects everything beyond a metric's series cap (OTel SDK convention).
const OverflowAttribute = "otel.metric.overflow"

// Sentinel replaces the values of a label beyond its per-label value limit.
const Sentinel = "__other__"

var overflowPairHash = pairHash(keyHash(OverflowAttribute), 0x3b)

// guard is the cardinality_guard processor. One mutex serialises the state: ConsumeMetrics,
// the flush (the single writer of every re-aggregated series), detection and the report.
type guard struct {
	cfg           *Config
	next          consumer.Metrics
	logger        *zap.Logger
	tel           *metadata.TelemetryBuilder
	policies      []*policy
	named         map[string]struct{} // names from the configuration, reported verbatim (see reportable)
	dryRun, auto  bool
	detectBuckets int
	recheck       uint32 // seconds after which a pass-through series goes through the label steps again
	now           func() time.Time

	mu            sync.Mutex
	startWall     time.Time
	startTime     pcommon.Timestamp
	clock         uint32 // seconds since start, refreshed per batch
	bucket        int    // current detection sub-window
	budgets       map[uint64]*budget
	outputs       map[uint64]*outputMetric
	inputs        map[uint64]*inputState
	totalAdmitted int
	// overflowSeries counts the budgets' overflow series: with totalAdmitted, they are bounded
	// by state.max_tracked_series (series_active reports totalAdmitted, against the caps).
	overflowSeries int
	scratch        []attrKV

	reportMu   sync.Mutex
	lastReport *Report

	stop chan struct{}
	done chan struct{}
}

// attrKV is one attribute on its way through the steps; repl holds a rewritten string value.
type attrKV struct {
	key      string
	val      pcommon.Value
	repl     string
	replaced bool
	removed  bool
}

// counts are accumulated per batch and added to the self-metrics once.
type counts struct {
	received, emitted uint64
	folded, dropped   tally
}

func (c *counts) drop(reason string) { c.dropped.add(reason, 1) }

// tally counts by reason. Consecutive points mostly share their reason: a run is summed in
// place (the reasons are constants, so the comparison is a pointer check) and added to the
// map when the reason changes, instead of one map update per point.
type tally struct {
	m    map[string]int64
	last string
	n    int64
}

func (t *tally) add(reason string, n int64) {
	if reason == t.last && t.last != "" {
		t.n += n
		return
	}
	t.flush()
	t.last, t.n = reason, n
}

// counts flushes the current run and returns the totals by reason.
func (t *tally) counts() map[string]int64 {
	t.flush()
	return t.m
}

func (t *tally) flush() {
	if t.last == "" {
		return
	}
	if t.m == nil {
		t.m = map[string]int64{}
	}
	t.m[t.last] += t.n
	t.last, t.n = "", 0
}

func newGuard(cfg *Config, set processor.Settings, next consumer.Metrics) (*guard, error) {
	tel, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	g := &guard{
		cfg: cfg, next: next, logger: set.Logger, tel: tel,
		policies: compileRules(cfg),
		dryRun:   cfg.Mode == ModeDryRun,
		auto:     cfg.Mode == ModeAuto,
		now:      time.Now,
		budgets:  map[uint64]*budget{},
		outputs:  map[uint64]*outputMetric{},
		inputs:   map[uint64]*inputState{},
	}
	g.named = configuredNames(cfg, g.policies)
	if cfg.Detection.Enabled {
		g.detectBuckets = cfg.Detection.Buckets
	}
	g.recheck = max(uint32(cfg.Reaggregation.MaxStale/time.Second/2), 1)
	g.startWall = g.now()
	g.startTime = pcommon.NewTimestampFromTime(g.startWall)
	if err := g.registerGauges(); err != nil {
		return nil, err
	}
	return g, nil
}

func (g *guard) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: !g.dryRun}
}

func (g *guard) Start(context.Context, component.Host) error {
	g.stop, g.done = make(chan struct{}), make(chan struct{})
	go g.loop()
	return nil
}

// Shutdown stops the background loop and flushes what was re-aggregated since the last tick.
// A failed final flush is returned (its points are counted as dropped, reason downstream_error).
func (g *guard) Shutdown(ctx context.Context) error {
	var err error
	if g.stop != nil {
		close(g.stop)
		<-g.done
		g.stop = nil
		err = g.flush(ctx)
	}
	g.tel.Shutdown()
	return err
}

func (g *guard) loop() {
	defer close(g.done)
	flush := time.NewTicker(g.cfg.Reaggregation.FlushInterval)
	defer flush.Stop()
	var detect, report <-chan time.Time
	if g.detectBuckets > 0 {
		t := time.NewTicker(g.cfg.Detection.Window / time.Duration(g.detectBuckets))
		defer t.Stop()
		detect = t.C
	}
	if g.cfg.Report.Interval > 0 {
		t := time.NewTicker(g.cfg.Report.Interval)
		defer t.Stop()
		report = t.C
	}
	for {
		select {
		case <-g.stop:
			return
		case <-flush.C:
			if err := g.flush(context.Background()); err != nil {
				g.logger.Warn("cardinality_guard: flushing re-aggregated series failed", zap.Error(err))
			}
		case <-detect:
			g.detect()
		case <-report:
			g.logReport()
		}
	}
}

// metricCtx holds what is shared by all points of one metric in one batch.
type metricCtx struct {
	b          *budget
	seriesBase uint64 // resource, instrumentation scope and metric identity
	overflow   uint64 // the budget's overflow series for this metric identity (scope, metric, rule, type)
	res        pcommon.Resource
	sc         pcommon.InstrumentationScope
	m          pmetric.Metric
	om         *outputMetric
	lastFolded bool // the last point took the fast path of a re-aggregated input
}

func (g *guard) ConsumeMetrics(ctx context.Context, md pmetric.Metrics) error {
	var c counts
	g.mu.Lock()
	g.clock = uint32(g.now().Sub(g.startWall) / time.Second)
	md.ResourceMetrics().RemoveIf(func(rm pmetric.ResourceMetrics) bool {
		resHash := mapHash(rm.Resource().Attributes())
		scopeHash, scopeName := g.scopeOf(rm.Resource().Attributes())
		rm.ScopeMetrics().RemoveIf(func(sm pmetric.ScopeMetrics) bool {
			base := combine(resHash, combine(strHash(sm.Scope().Name()), strHash(sm.Scope().Version())))
			sm.Metrics().RemoveIf(func(m pmetric.Metric) bool {
				return g.consumeMetric(&c, rm.Resource(), sm.Scope(), m, base, scopeHash, scopeName)
			})
			return sm.Metrics().Len() == 0
		})
		return rm.ScopeMetrics().Len() == 0
	})
	g.mu.Unlock()
	c.emitted = uint64(md.DataPointCount())
	g.record(ctx, &c)
	if md.ResourceMetrics().Len() == 0 {
		return nil
	}
	return g.next.ConsumeMetrics(ctx, md)
}

// scopeOf returns the budget scope of a resource: a hash of the scope attributes present,
// and, for reports, "key=value" pairs of those attributes joined by ",", so that a missing
// attribute cannot make two combinations look alike (values redacted, see reportable).
func (g *guard) scopeOf(res pcommon.Map) (uint64, string) {
	var h uint64
	name := ""
	for _, k := range g.cfg.Scope.ResourceAttributes {
		v, ok := res.Get(k)
		if !ok {
			continue
		}
		h += pairHash(keyHash(k), valueHash(v))
		if name != "" {
			name += ","
		}
		name += k + "=" + reportable(v.AsString(), g.named)
	}
	return h, name
}

func (g *guard) policyFor(metric string, res pcommon.Resource) *policy {
	for _, p := range g.policies {
		if p.match(metric, res.Attributes()) {
			return p
		}
	}
	return g.policies[len(g.policies)-1]
}

// consumeMetric processes one metric in place and reports whether it is now empty.
func (g *guard) consumeMetric(c *counts, res pcommon.Resource, sc pcommon.InstrumentationScope, m pmetric.Metric, base, scopeHash uint64, scopeName string) bool {
	n := uint64(pmetricutil.DataPointCount(m))
	c.received += n
	if m.Name() == "" {
		c.dropped.add(reasonEmptyName, int64(n))
		return !g.dryRun
	}
	p := g.policyFor(m.Name(), res)
	if p.exempt {
		return false
	}
	bkey := combine(combine(scopeHash, strHash(m.Name())), uint64(p.ruleNumber))
	b := g.budgets[bkey]
	if b == nil {
		if len(g.budgets) >= g.cfg.State.MaxMetrics {
			// Every budget holds label trackers and sketches: a stream of new metric names
			// must not grow memory until max_stale. Existing metrics keep flowing.
			c.dropped.add(reasonStateFull, int64(n))
			return !g.dryRun
		}
		b = newBudget(m.Name(), scopeName, p)
		b.reportName = reportable(m.Name(), g.named)
		g.budgets[bkey] = b
	}
	id := metricIdentity(m)
	mc := &metricCtx{b: b, res: res, sc: sc, m: m, seriesBase: combine(base, id), overflow: combine(combine(bkey, id), overflowPairHash)}
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		g.numberPoints(c, mc, m.Gauge().DataPoints(), false)
		return m.Gauge().DataPoints().Len() == 0
	case pmetric.MetricTypeSum:
		g.numberPoints(c, mc, m.Sum().DataPoints(), m.Sum().IsMonotonic())
		return m.Sum().DataPoints().Len() == 0
	case pmetric.MetricTypeHistogram:
		g.histogramPoints(c, mc, m.Histogram().DataPoints())
		return m.Histogram().DataPoints().Len() == 0
	case pmetric.MetricTypeExponentialHistogram:
		g.expoPoints(c, mc, m.ExponentialHistogram().DataPoints())
		return m.ExponentialHistogram().DataPoints().Len() == 0
	case pmetric.MetricTypeSummary:
		g.summaryPoints(c, mc, m.Summary().DataPoints())
		return m.Summary().DataPoints().Len() == 0
	}
	return false
}

func metricIdentity(m pmetric.Metric) uint64 {
	id := uint64(m.Type()) << 8
	switch m.Type() {
	case pmetric.MetricTypeSum:
		id |= uint64(m.Sum().AggregationTemporality()) << 4
		if m.Sum().IsMonotonic() {
			id |= 1
		}
	case pmetric.MetricTypeHistogram:
		id |= uint64(m.Histogram().AggregationTemporality()) << 4
	case pmetric.MetricTypeExponentialHistogram:
		id |= uint64(m.ExponentialHistogram().AggregationTemporality()) << 4
	}
	return combine(strHash(m.Name()), id)
}

// decision is the outcome of the label steps for one point.
type decision struct {
	drop      string // drop reason, or ""
	fold      bool
	reason    string // why the point folds
	overflow  bool
	outKey    uint64
	inKey     uint64
	fresh     bool       // the output series was admitted by this point
	converted bool       // the output was a pass-through series until now: adm holds its last pass-through state
	adm       *admission // the output's admission (nil for the overflow series)
	// cacheable: the route depends only on the attribute set, the budget's epoch and admitted
	// label values (no sentinel, no overflow, no untracked key), so the input may skip the label
	// steps on its next points (see inputState.routed).
	cacheable bool
	in        *inputState // set by the fast path of a re-aggregated input
}

// route runs steps 1-5 (relabel, deny list, normalisation, per-label limit, series cap) on
// one point's attributes. The attributes themselves are not modified: the rewritten set is
// left in g.scratch for the caller to build an output series from, only when one is created.
func (g *guard) route(mc *metricCtx, attrs pcommon.Map, ts pcommon.Timestamp) decision {
	b, p := mc.b, mc.b.policy
	if attrs.Len() > g.cfg.MaxAttributes {
		return decision{drop: reasonTooManyAttributes}
	}
	relabeled := len(p.relabel) > 0
	inHash := mapHash(attrs)
	key := combine(mc.seriesBase, inHash)
	// Fast paths. Both hold under the same conditions (same epoch, checked less than
	// max_stale/2 ago, so that no admission, output or admitted label value they rely on can
	// have been swept) and exclude each other when valid (a route is a function of the
	// attribute set and the epoch), so they are tried in the order of the metric's last point.
	if mc.lastFolded {
		if d, ok := g.foldedFast(mc, key); ok {
			return d
		}
	}
	// A series already checked and passing through skips the label steps (and the relabel
	// rules: an admission is only marked checked by an input whose attribute set is exactly
	// the output's, and relabelling is a pure function of that set).
	if adm := b.admitted[key]; adm != nil && !adm.aggregated && adm.epoch == b.epoch && g.clock-adm.checkedAt < g.recheck {
		adm.lastSeen = g.clock
		adm.lastTs = max(adm.lastTs, uint64(ts))
		mc.lastFolded = false
		return decision{inKey: key, outKey: key, adm: adm}
	}
	if !mc.lastFolded {
		if d, ok := g.foldedFast(mc, key); ok {
			return d
		}
	}
	kvs := g.scratch[:0]
	var outHash uint64
	changed, reason, cacheable := false, "", true
	if relabeled {
		res := b.relabelFor(inHash, attrs, mc.m.Name(), g.cfg.LabelNames)
		if res.drop {
			return decision{drop: reasonRelabelDrop}
		}
		for _, kv := range res.kvs {
			if kv.origKey != "" {
				v, _ := attrs.Get(kv.origKey)
				kvs = append(kvs, attrKV{key: kv.key, val: v})
			} else {
				kvs = append(kvs, attrKV{key: kv.key, repl: kv.value, replaced: true})
			}
		}
		if !res.identity(attrs.Len()) {
			changed, reason = true, reasonLabelDropped
		}
	} else {
		for k, v := range attrs.All() {
			kvs = append(kvs, attrKV{key: k, val: v})
		}
	}
	for i := range kvs {
		kv := &kvs[i]
		var vh uint64
		if kv.replaced {
			vh = strHash(kv.repl)
		} else {
			vh = valueHash(kv.val)
		}
		ls := b.label(kv.key, g.detectBuckets, g.named)
		var kh uint64
		if ls != nil {
			kh = ls.keyHash
		} else {
			kh = keyHash(kv.key)
		}
		if ls == nil {
			kv.removed, changed, cacheable = true, true, false
			reason = firstReason(reason, reasonLabelLimit)
			continue
		}
		if ls.denied || (g.auto && ls.flagged && !ls.exclude) {
			kv.removed, changed = true, true
			reason = firstReason(reason, reasonLabelDropped)
			continue
		}
		if norms := ls.normalize; norms != nil && (kv.replaced || kv.val.Type() == pcommon.ValueTypeStr) {
			s := kv.repl
			if !kv.replaced {
				s = kv.val.Str()
			}
			n := ls.normalized(s, vh)
			if n != s {
				kv.repl, kv.replaced, changed = n, true, true
				vh = strHash(n)
				reason = firstReason(reason, reasonValueNormalized)
			}
		}
		known := false
		if ls.values != nil {
			var seen uint32
			if seen, known = ls.values[vh]; (known && seen != g.clock) || (!known && len(ls.values) < p.maxValues) {
				ls.values[vh] = g.clock
			} else if !known {
				kv.repl, kv.replaced, changed, cacheable = Sentinel, true, true, false
				ls.sentinels++
				reason = firstReason(reason, reasonLabelLimit)
			}
		}
		if ls.window != nil && !known {
			ls.window[g.bucket].InsertHash(vh)
		}
		if kv.replaced && kv.repl == Sentinel {
			vh = strHash(Sentinel)
		}
		outHash += pairHash(kh, vh)
	}
	g.scratch = kvs

	d := decision{inKey: key, outKey: combine(mc.seriesBase, outHash)}
	adm := b.admitted[d.outKey]
	if adm == nil {
		if (p.maxSeries > 0 && len(b.admitted) >= p.maxSeries) || g.trackedSeries() >= g.cfg.State.MaxTrackedSeries {
			// One overflow series per budget (scope, metric, rule) and metric type, whatever the
			// resource: it is a tracked series, itself bounded by max_tracked_series.
			d.overflow, changed = true, true
			reason = reasonSeriesLimit
			d.outKey = mc.overflow
			if mc.m.Type() != pmetric.MetricTypeSummary { // summaries never fold into it
				if _, ok := b.overflows[d.outKey]; !ok {
					if g.trackedSeries() >= g.cfg.State.MaxTrackedSeries {
						return decision{drop: reasonSeriesLimit}
					}
					g.overflowSeries++
				}
				b.overflows[d.outKey] = g.clock
			}
		} else {
			adm = &admission{}
			b.admitted[d.outKey] = adm
			g.totalAdmitted++
			d.fresh = true
		}
	}
	if !changed && !adm.aggregated {
		adm.lastSeen, adm.checkedAt, adm.epoch = g.clock, g.clock, b.epoch
		adm.lastTs = max(adm.lastTs, uint64(ts))
		d.adm = adm
		return d
	}
	d.fold, d.reason, d.cacheable = true, reason, cacheable && !d.overflow
	if d.reason == "" {
		d.reason = reasonSharesOutput
	}
	if !d.overflow {
		if !d.fresh && !adm.aggregated {
			d.converted = true
		}
		adm.aggregated = true
		adm.lastSeen = g.clock
		d.adm = adm
	}
	return d
}

// trackedSeries counts the series state.max_tracked_series bounds: admitted and overflow.
func (g *guard) trackedSeries() int { return g.totalAdmitted + g.overflowSeries }

// foldedFast is the fast path of a re-aggregated input: its state remembers its route.
func (g *guard) foldedFast(mc *metricCtx, key uint64) (decision, bool) {
	in := g.inputs[key]
	if in == nil || !in.routed || in.epoch != mc.b.epoch || g.clock-in.checkedAt >= g.recheck {
		return decision{}, false
	}
	adm := in.out.adm
	adm.lastSeen = g.clock
	mc.lastFolded = true
	return decision{fold: true, reason: foldReasons[in.reason], inKey: key, outKey: in.out.key, adm: adm, in: in}, true
}

// foldReasons are the reasons a cached route can carry (inputState.reason indexes them).
var foldReasons = [...]string{reasonSharesOutput, reasonLabelDropped, reasonValueNormalized}

func foldReasonIndex(r string) (uint8, bool) {
	for i, fr := range foldReasons {
		if fr == r {
			return uint8(i), true
		}
	}
	return 0, false
}

func firstReason(cur, r string) string {
	if cur == "" {
		return r
	}
	return cur
}

// output returns the re-aggregated series d folds into, creating it from g.scratch.
func (g *guard) output(mc *metricCtx, d decision, start, ts pcommon.Timestamp, full bool) *outputSeries {
	if d.overflow {
		return g.overflowOutput(mc, d, start, ts, full)
	}
	if mc.om == nil {
		omKey := mc.seriesBase
		mc.om = g.outputs[omKey]
		if mc.om == nil {
			mc.om = newOutputMetric(mc.res, mc.sc, mc.m, mc.b)
			g.outputs[omKey] = mc.om
		}
	}
	out := mc.om.series[d.outKey]
	if out != nil {
		out.lastSeen = g.clock
		if d.adm != nil {
			out.adm = d.adm
		}
		return out
	}
	out = &outputSeries{key: d.outKey, metric: mc.om, adm: d.adm, attrs: pcommon.NewMap(), lastSeen: g.clock, intValued: true}
	out.attrs.EnsureCapacity(len(g.scratch))
	for _, kv := range g.scratch {
		switch {
		case kv.removed:
		case kv.replaced:
			out.attrs.PutStr(kv.key, kv.repl)
		default:
			kv.val.CopyTo(out.attrs.PutEmpty(kv.key))
		}
	}
	if d.converted {
		out.converted, out.baselineInput, out.lastEmit = true, d.outKey, pcommon.Timestamp(d.adm.lastTs)
		out.seed = *d.adm
	}
	out.start = start
	if !full || start == 0 {
		out.start = ts
	}
	if d.converted && out.seed.hasValue && mc.om.typ == pmetric.MetricTypeSum && mc.om.cumulative() && mc.om.monotonic {
		// A pass-through counter taken over by a fold continues from its last value with its
		// start: Prometheus sees no reset (it could not tell one that does not go down).
		out.value, out.start = out.seed.lastValue, pcommon.Timestamp(out.seed.lastStart)
	} else if d.converted {
		out.start = ts // other types restart, which the new start time declares
	}
	mc.om.series[d.outKey] = out
	return out
}

// overflowOutput returns the budget's overflow series. Its output metric is keyed by the
// budget and metric identity, not by the resource: its resource carries only the scope
// attributes (scope.resource_attributes) and its instrumentation scope is empty, so
// high-cardinality resource attributes cannot multiply overflow series.
func (g *guard) overflowOutput(mc *metricCtx, d decision, start, ts pcommon.Timestamp, full bool) *outputSeries {
	om := g.outputs[d.outKey]
	if om == nil {
		res := pcommon.NewResource()
		for _, k := range g.cfg.Scope.ResourceAttributes {
			if v, ok := mc.res.Attributes().Get(k); ok {
				v.CopyTo(res.Attributes().PutEmpty(k))
			}
		}
		om = newOutputMetric(res, pcommon.NewInstrumentationScope(), mc.m, mc.b)
		g.outputs[d.outKey] = om
	}
	out := om.series[d.outKey]
	if out != nil {
		out.lastSeen = g.clock
		return out
	}
	out = &outputSeries{key: d.outKey, metric: om, attrs: pcommon.NewMap(), lastSeen: g.clock, intValued: true}
	out.attrs.PutBool(OverflowAttribute, true)
	out.start = start
	if !full || start == 0 {
		out.start = ts
	}
	om.series[d.outKey] = out
	return out
}

// inputFor returns the per-input state of a fold (nil when the type needs none), whether it
// is new, or a drop reason when the state table is full.
func (g *guard) inputFor(mc *metricCtx, out *outputSeries, d decision) (*inputState, bool, string) {
	om := out.metric
	if !om.needsInputState() {
		return nil, false, ""
	}
	in := g.inputs[d.inKey]
	if in != nil && in.out == out {
		in.lastSeen = g.clock
		return in, false, ""
	}
	if in == nil && len(g.inputs) >= g.cfg.State.MaxReaggregationInputs {
		return nil, false, reasonStateFull
	}
	if in != nil {
		// The input now maps to another output (its label was flagged, or a value aged out of
		// a limit): the old output keeps what it counted, the new one continues from the
		// input's last value, so no increase is lost or counted twice.
		g.detachInput(in)
		in.out, in.lastSeen = out, g.clock
		out.inputs++
		if sumsLatestValues(om) {
			out.value += in.last
			out.dirty = true
		}
		return in, false, ""
	}
	in = &inputState{out: out, lastSeen: g.clock}
	out.inputs++
	g.inputs[d.inKey] = in
	if out.converted && d.inKey == out.baselineInput && out.seed.hasValue &&
		om.typ == pmetric.MetricTypeSum && om.cumulative() && om.monotonic {
		// The series passed through until a fold took it over: continue from its last value.
		in.last, in.start, in.lastTs = out.seed.lastValue, pcommon.Timestamp(out.seed.lastStart), pcommon.Timestamp(out.seed.lastTs)
		return in, false, ""
	}
	return in, true, ""
}

// sumsLatestValues reports whether an output is the sum of the latest value of each live
// input (gauge sum, non-monotonic cumulative sum) rather than of increases.
func sumsLatestValues(om *outputMetric) bool {
	return (om.typ == pmetric.MetricTypeGauge && om.budget.policy.gauge == GaugeSum) ||
		(om.typ == pmetric.MetricTypeSum && om.cumulative() && !om.monotonic)
}

// detachInput removes an input from its output. Outputs that sum the latest value of each
// live input (gauge sum, non-monotonic cumulative sum) lose its contribution; monotonic
// outputs keep it, since a counter must never go down.
func (g *guard) detachInput(in *inputState) {
	out := in.out
	out.inputs--
	if sumsLatestValues(out.metric) {
		out.value -= in.last
		out.dirty = true
	}
}

// fold merges one point into its output. It returns a drop reason or "".
func (g *guard) fold(mc *metricCtx, d decision, start, ts pcommon.Timestamp, merge func(om *outputMetric, out *outputSeries, in *inputState, isNew, full bool) string) string {
	full := start != 0 && start >= g.startTime
	if in := d.in; in != nil {
		out := in.out
		mc.om = out.metric
		out.lastSeen, in.lastSeen = g.clock, g.clock
		return merge(out.metric, out, in, false, full)
	}
	out := g.output(mc, d, start, ts, full)
	in, isNew, reason := g.inputFor(mc, out, d)
	if reason != "" {
		return reason
	}
	if in != nil {
		var known bool
		in.reason, known = foldReasonIndex(d.reason)
		in.routed = known && d.cacheable && out.adm != nil && out.adm == d.adm
		in.epoch, in.checkedAt = mc.b.epoch, g.clock
	}
	if isNew {
		full = firstContribution(out, d.inKey, start, g.startTime)
	}
	return merge(out.metric, out, in, isNew, full)
}

// deniedKey reports whether an exemplar's filtered attribute must go (it is on the deny list).
func (p *policy) deniedKey(k string, _ pcommon.Value) bool {
	_, denied := p.deny[k]
	return denied
}

func (g *guard) numberPoints(c *counts, mc *metricCtx, dps pmetric.NumberDataPointSlice, monotonic bool) {
	dps.RemoveIf(func(dp pmetric.NumberDataPoint) bool {
		var v float64
		isInt := dp.ValueType() == pmetric.NumberDataPointValueTypeInt
		if isInt {
			v = float64(dp.IntValue())
		} else {
			v = dp.DoubleValue()
		}
		switch {
		case math.IsNaN(v) || math.IsInf(v, 0):
			return g.dropPoint(c, reasonNonFinite)
		case monotonic && v < 0:
			return g.dropPoint(c, reasonNegativeCounter)
		}
		d := g.route(mc, dp.Attributes(), dp.Timestamp())
		if d.adm != nil && !d.fold && monotonic {
			d.adm.lastValue, d.adm.lastStart, d.adm.hasValue = v, uint64(dp.StartTimestamp()), true
		}
		return g.apply(c, mc, d, dp.Exemplars(), func() string {
			return g.fold(mc, d, dp.StartTimestamp(), dp.Timestamp(), func(om *outputMetric, out *outputSeries, in *inputState, isNew, full bool) string {
				if in == nil {
					in = &inputState{}
				}
				r := om.foldNumber(out, in, isNew, full, v, isInt, dp.StartTimestamp(), dp.Timestamp())
				if r == "" {
					out.addExemplars(dp.Exemplars(), mc.b.policy)
				}
				return r
			})
		})
	})
}

func (g *guard) histogramPoints(c *counts, mc *metricCtx, dps pmetric.HistogramDataPointSlice) {
	dps.RemoveIf(func(dp pmetric.HistogramDataPoint) bool {
		if r := validHistogram(dp); r != "" {
			return g.dropPoint(c, r)
		}
		d := g.route(mc, dp.Attributes(), dp.Timestamp())
		return g.apply(c, mc, d, dp.Exemplars(), func() string {
			return g.fold(mc, d, dp.StartTimestamp(), dp.Timestamp(), func(om *outputMetric, out *outputSeries, in *inputState, isNew, full bool) string {
				r, rebucketed := om.foldHistogram(out, orEmpty(in), isNew, full, dp)
				if rebucketed && r == "" {
					// Counted under bounds_rebucketed instead of the label step's reason, which
					// apply adds once the fold succeeds: each point is counted exactly once.
					c.folded.add(reasonBoundsRebucketed, 1)
					c.folded.add(d.reason, -1)
				}
				if r == "" {
					out.addExemplars(dp.Exemplars(), mc.b.policy)
				}
				return r
			})
		})
	})
}

func (g *guard) expoPoints(c *counts, mc *metricCtx, dps pmetric.ExponentialHistogramDataPointSlice) {
	dps.RemoveIf(func(dp pmetric.ExponentialHistogramDataPoint) bool {
		if math.IsNaN(dp.Sum()) || math.IsInf(dp.Sum(), 0) {
			return g.dropPoint(c, reasonNonFinite)
		}
		if !expoValid(dp) {
			return g.dropPoint(c, reasonInvalidHistogram)
		}
		d := g.route(mc, dp.Attributes(), dp.Timestamp())
		return g.apply(c, mc, d, dp.Exemplars(), func() string {
			return g.fold(mc, d, dp.StartTimestamp(), dp.Timestamp(), func(om *outputMetric, out *outputSeries, in *inputState, isNew, full bool) string {
				r := om.foldExpo(out, orEmpty(in), isNew, full, dp)
				if r == "" {
					out.addExemplars(dp.Exemplars(), mc.b.policy)
				}
				return r
			})
		})
	})
}

// summaryPoints never folds: quantiles cannot be merged. With summary: refuse, a point whose
// labels would change is forwarded unchanged and counted; with summary: drop it is dropped.
// A new summary series beyond the series cap is dropped.
func (g *guard) summaryPoints(c *counts, mc *metricCtx, dps pmetric.SummaryDataPointSlice) {
	dps.RemoveIf(func(dp pmetric.SummaryDataPoint) bool {
		if math.IsNaN(dp.Sum()) || math.IsInf(dp.Sum(), 0) {
			return g.dropPoint(c, reasonNonFinite)
		}
		d := g.route(mc, dp.Attributes(), dp.Timestamp())
		switch {
		case d.drop != "":
			return g.dropPoint(c, d.drop)
		case d.overflow:
			return g.dropPoint(c, reasonSeriesLimit)
		case d.fold && mc.b.policy.summary == SummaryDrop:
			return g.dropPoint(c, reasonSummaryRefused)
		case d.fold:
			c.folded.add(reasonSummaryRefused, 1)
		}
		return false
	})
}

func orEmpty(in *inputState) *inputState {
	if in == nil {
		return &inputState{}
	}
	return in
}

func (g *guard) dropPoint(c *counts, reason string) bool {
	c.drop(reason)
	return !g.dryRun
}

// apply carries out a decision: pass through (stripping denied keys from exemplars), drop, or fold.
// It reports whether the point leaves the batch. In dry_run mode nothing leaves it.
func (g *guard) apply(c *counts, mc *metricCtx, d decision, exemplars pmetric.ExemplarSlice, fold func() string) bool {
	switch {
	case d.drop != "":
		return g.dropPoint(c, d.drop)
	case !d.fold:
		if exemplars.Len() > 0 && !g.dryRun {
			p := mc.b.policy
			for _, e := range exemplars.All() {
				e.FilteredAttributes().RemoveIf(p.deniedKey)
			}
		}
		return false
	case g.dryRun:
		c.folded.add(d.reason, 1)
		return false
	}
	if r := fold(); r != "" {
		return g.dropPoint(c, r)
	}
	c.folded.add(d.reason, 1)
	if d.overflow {
		mc.b.overflowed++
	}
	mc.b.folded++
	return true
}

func validHistogram(dp pmetric.HistogramDataPoint) string {
	if math.IsNaN(dp.Sum()) || math.IsInf(dp.Sum(), 0) {
		return reasonNonFinite
	}
	n := dp.BucketCounts().Len()
	if n == 0 {
		return ""
	}
	if n != dp.ExplicitBounds().Len()+1 {
		return reasonInvalidHistogram
	}
	var total uint64
	for _, c := range dp.BucketCounts().All() {
		total += c
	}
	prev := math.Inf(-1)
	for _, b := range dp.ExplicitBounds().All() {
		if !(b > prev) || math.IsInf(b, 0) {
			return reasonInvalidHistogram
		}
		prev = b
	}
	if total != dp.Count() {
		return reasonInvalidHistogram
	}
	return ""
}
