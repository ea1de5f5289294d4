package cardinalityguard // import "github.com/otelcol-warden/otelcol-warden/processor/cardinalityguard"

import (
	"context"
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

	"github.com/otelcol-warden/otelcol-warden/internal/statusapi"
)

// guard is the cardinality_guard processor. One mutex serialises the state: ConsumeMetrics,
// the flush (the single writer of every re-aggregated series), detection and the report.
type guard struct {
	id            component.ID
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
	positions      positionCache // hashes of the last point's attributes, by position

	reportMu   sync.Mutex
	lastReport *Report

	status           statusCounts // for warden_status (status.go)
	unregisterStatus func()

	stop chan struct{}
	done chan struct{}
}

func newGuard(cfg *Config, set processor.Settings, next consumer.Metrics) (*guard, error) {
	tel, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	g := &guard{
		id: set.ID, unregisterStatus: func() {},
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

func (g *guard) Start(_ context.Context, host component.Host) error {
	g.stop, g.done = make(chan struct{}), make(chan struct{})
	go g.loop()
	g.unregisterStatus = g.registerStatus(host)
	return nil
}

// Shutdown stops the background loop and flushes what was re-aggregated since the last tick.
// A failed final flush is returned (its points are counted as dropped, reason downstream_error).
func (g *guard) Shutdown(ctx context.Context) error {
	g.unregisterStatus()
	g.unregisterStatus = func() {}
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
		name += k + "=" + statusapi.ReportName(v.AsString(), g.named)
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
		b.reportName = statusapi.ReportName(m.Name(), g.named)
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
