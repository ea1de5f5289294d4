// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy // import "github.com/otelcol-warden/otelcol-warden/processor/tailpolicy"

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/sampling"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-warden/otelcol-warden/processor/tailpolicy/internal/metadata"
)

// maxRules bounds the rule list (rule predicates are tracked in a 64-bit mask).
const maxRules = 32

const (
	tickInterval    = 100 * time.Millisecond
	controlInterval = 250 * time.Millisecond
	outputQueueSize = 16
)

// errRefused is retryable (not a permanent error): receivers answer with
// back-pressure (gRPC UNAVAILABLE, HTTP 503) and clients retry later.
var errRefused = errors.New("tail_policy: memory budget exhausted or workers saturated, retry later")

// engine is the state the workers share: compiled rules, the baseline,
// telemetry and the controller outputs they read atomically.
type engine struct {
	cfg       *Config
	workers   int
	rules     *ruleSet
	ruleNames []string
	baseline  *baseline
	tel       *telemetry
	logger    *zap.Logger

	ruleOverload        int
	ruleOverloadError   int
	overloadThreshold   sampling.Threshold
	overloadProbability float64
	// tvalues are the tracestates `ot=th:<T>` of the configured rules' and the
	// overload modes' thresholds, built once (read-only, shared by the workers).
	// Other thresholds (budget-scaled, stricter incoming ones) are formatted
	// when stamped, so that no map grows with what clients send.
	tvalues map[sampling.Threshold]string

	state      atomic.Int32  // overloadState
	scaleBits  atomic.Uint64 // float64 budget scale
	keptFixed  atomic.Int64  // kept spans by rules the budget never scales
	keptScaled atomic.Int64  // kept spans by probabilistic rules

	teams *teamBudgets // nil without team_budgets.teams

	// retain is the ring of dropped traces (nil without
	// wal.retain_dropped), set by Start before the workers run.
	retain *retention
}

func (e *engine) budgetScale() float64 { return math.Float64frombits(e.scaleBits.Load()) }

func (e *engine) countKept(idx, spans int, team int32) {
	probabilistic := idx < len(e.rules.rules) && e.rules.rules[idx].probabilistic()
	if probabilistic {
		e.keptScaled.Add(int64(spans))
	} else {
		e.keptFixed.Add(int64(spans))
	}
	e.countTeamKept(team, probabilistic, spans)
}

func (e *engine) observeRoot(ref spanRef, now time.Time) {
	span := ref.span
	key := rootKeyOf(ref)
	if routeOf(span.Attributes()) == "" {
		e.tel.badInput(badMissingRoute, 1)
	}
	start, end := span.StartTimestamp(), span.EndTimestamp()
	if end >= start && start != 0 {
		e.baseline.observe(key, time.Duration(end-start), now)
	}
}

func newEngine(set processor.Settings, cfg *Config, now time.Time) (*engine, error) {
	rules, err := compileRules(cfg, set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	workers := cfg.Workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	e := &engine{
		cfg:                 cfg,
		workers:             workers,
		rules:               rules,
		baseline:            newBaseline(cfg.Baseline, now),
		logger:              set.Logger,
		overloadProbability: cfg.Memory.OverloadProbability,
		overloadThreshold:   sampling.NeverSampleThreshold,
	}
	if p := cfg.Memory.OverloadProbability; p > 0 {
		th, err := sampling.ProbabilityToThresholdWithPrecision(max(p, sampling.MinSamplingProbability), thresholdPrecision)
		if err != nil {
			return nil, fmt.Errorf("tail_policy: memory.overload_probability: %w", err)
		}
		e.overloadThreshold = th
	}
	e.scaleBits.Store(math.Float64bits(1))
	e.teams = newTeamBudgets(cfg.TeamBudgets)
	e.tvalues = map[sampling.Threshold]string{}
	ths := []sampling.Threshold{sampling.AlwaysSampleThreshold}
	if cfg.Memory.OverloadProbability > 0 {
		ths = append(ths, e.overloadThreshold)
	}
	for _, r := range rules.rules {
		if r.probability > 0 {
			ths = append(ths, r.threshold)
		}
	}
	for _, th := range ths {
		e.tvalues[th] = "ot=th:" + th.TValue()
	}
	for _, r := range rules.rules {
		e.ruleNames = append(e.ruleNames, r.name)
	}
	e.ruleOverload, e.ruleOverloadError = len(e.ruleNames), len(e.ruleNames)+1
	e.ruleNames = append(e.ruleNames, ruleOverload, ruleOverloadError)
	return e, nil
}

// tailPolicy shards traces by id over worker goroutines, each owning a shard
// with its buffer, deadline queue and decision cache; a forwarder per worker
// sends kept spans on, so a slow exporter delays only that worker's output and,
// through the bounded queues, turns into back-pressure on ConsumeTraces.
type tailPolicy struct {
	id     component.ID
	cfg    *Config
	next   consumer.Traces
	clock  clock
	logger *zap.Logger
	tb     *metadata.TelemetryBuilder
	eng    *engine

	shards []*shard
	inputs []chan ingestBatch
	// slots[i] holds one token per batch reserved for or queued in inputs[i]
	// (same capacity): ConsumeTraces reserves a slot in every target worker
	// before it sends anything, so a request is handed over entirely or not at
	// all, and a retry after a refusal never duplicates what was accepted.
	slots    []chan struct{}
	outputs  []chan fwdBatch
	overload *overloadController

	// wal is the write-ahead log (nil without wal.directory); walRounds
	// numbers the workers' decision rounds; ctl asks a worker for a snapshot
	// of its caches at a checkpoint (walcheckpoint.go).
	wal       *walLog
	walRounds atomic.Uint64
	ctl       []chan chan struct{}

	// stop aborts ConsumeTraces waiting for a slot and ends the control loop;
	// drain is closed once no ConsumeTraces can send any more (ingest is held
	// as a read lock across reservation and hand-off), and tells the workers
	// to take what is queued, decide everything and finish.
	stop    chan struct{}
	drain   chan struct{}
	ingest  sync.RWMutex
	closed  bool
	workers sync.WaitGroup
	// fwdCtx is the forwarders' parent context, cancelled when Shutdown's
	// context ends: the call in flight is cancelled and the kept spans still
	// queued are counted as lost (downstream_errors{reason="shutdown"}).
	fwdCtx    context.Context
	fwdCancel context.CancelFunc
	started   atomic.Bool
	stopOnce  sync.Once
	lastScale time.Time
	lastLog   time.Time
	// unregisterStatus removes the warden_status providers (status.go); a
	// no-op until Start registers them.
	unregisterStatus func()
	routeNames       map[string]struct{}
}

func newTailPolicy(set processor.Settings, cfg *Config, next consumer.Traces, clk clock) (*tailPolicy, error) {
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	now := clk.Now()
	eng, err := newEngine(set, cfg, now)
	if err != nil {
		return nil, err
	}
	eng.tel = newTelemetry(tb, eng.ruleNames)
	p := &tailPolicy{
		id:       set.ID,
		cfg:      cfg,
		next:     next,
		clock:    clk,
		logger:   set.Logger,
		tb:       tb,
		eng:      eng,
		overload: newOverloadController(cfg.Memory),
		stop:     make(chan struct{}),
		drain:    make(chan struct{}),

		unregisterStatus: func() {},
		routeNames:       eng.configuredRoutes(),
	}
	p.fwdCtx, p.fwdCancel = context.WithCancel(context.Background())
	for i := 0; i < eng.workers; i++ {
		out := make(chan fwdBatch, outputQueueSize)
		p.outputs = append(p.outputs, out)
		p.inputs = append(p.inputs, make(chan ingestBatch, cfg.QueueSize))
		p.slots = append(p.slots, make(chan struct{}, cfg.QueueSize))
		p.ctl = append(p.ctl, make(chan chan struct{}))
		var sh *shard
		sh = newShard(eng, cfg.Memory.LimitBytes, now, func(td ptrace.Traces) { out <- sh.fwdBatchOf(td) })
		sh.index = i
		p.shards = append(p.shards, sh)
	}
	if err := p.registerGauges(); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *tailPolicy) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: true}
}

func (p *tailPolicy) Start(_ context.Context, host component.Host) error {
	if !p.started.CompareAndSwap(false, true) {
		return nil
	}
	p.lastScale, p.lastLog = p.clock.Now(), p.clock.Now()
	for i := range p.shards {
		p.workers.Add(1)
		go p.runForwarder(i)
	}
	if err := p.startRetention(); err != nil {
		p.closeOutputs()
		return err
	}
	if p.cfg.WAL.enabled() {
		// Replayed before any data is accepted: the receivers start after us.
		if err := p.recoverWAL(p.clock.Now()); err != nil {
			p.closeOutputs()
			p.stopRetention()
			return err
		}
		p.workers.Add(1)
		go p.runCheckpoints()
	}
	p.unregisterStatus = p.registerStatus(host)
	for i := range p.shards {
		p.workers.Add(1)
		go p.runWorker(i)
	}
	p.workers.Add(1)
	go p.runControl()
	return nil
}

// Shutdown decides every buffered trace (trigger "shutdown") and forwards the
// kept ones before returning. If ctx ends first, the forwarders' context is
// cancelled (the call in flight to the next consumer with it), the kept spans
// not yet forwarded are counted in downstream_errors{reason="shutdown"} without
// calling the next consumer, and ctx's error is returned at once; the workers
// and forwarders then finish on their own, as fast as the next consumer
// honours its context. The telemetry is shut down in every case.
func (p *tailPolicy) Shutdown(ctx context.Context) error {
	defer p.tb.Shutdown()
	p.stopOnce.Do(func() {
		p.unregisterStatus()
		close(p.stop)
		p.ingest.Lock()
		p.closed = true
		p.ingest.Unlock()
		close(p.drain)
	})
	done := make(chan struct{})
	go func() {
		p.workers.Wait()
		p.closeWAL()
		p.stopRetention()
		close(done)
	}()
	select {
	case <-done:
		p.fwdCancel()
		return nil
	case <-ctx.Done():
		p.fwdCancel()
		return ctx.Err()
	}
}

// ConsumeTraces hands the request's spans to their workers all or nothing: it
// first reserves a queue slot in every worker the request touches, waiting up
// to ingest_timeout, and sends only once all are reserved. A refusal (retryable)
// therefore means no span of the request was taken, so the client's retry
// cannot forward a trace twice (early keep, span limit and eviction forward
// before the trace's timeout).
func (p *tailPolicy) ConsumeTraces(ctx context.Context, td ptrace.Traces) error {
	if p.wal != nil && p.wal.bytes.Load() >= p.wal.maxBytes {
		p.eng.tel.refusedSpans("wal_full", td.SpanCount())
		return errRefused
	}
	if overloadState(p.eng.state.Load()) == stateRefusing || p.bufferedBytes() >= p.cfg.Memory.LimitBytes {
		p.eng.tel.refusedSpans("hard_limit", td.SpanCount())
		return errRefused
	}
	batches := p.split(td)
	p.ingest.RLock()
	defer p.ingest.RUnlock()
	if p.closed {
		return errRefused
	}
	if err := p.reserve(ctx, batches); err != nil {
		return err
	}
	seg, err := p.walAppend(td, batches)
	if err != nil {
		return err
	}
	for i, batch := range batches {
		if len(batch) > 0 {
			p.inputs[i] <- ingestBatch{refs: batch, seg: seg} // never blocks: a slot is reserved
		}
	}
	p.eng.tel.spansIn.Add(int64(td.SpanCount()))
	return nil
}

// reserve takes one slot for every non-empty batch; on failure it gives back
// the slots it took.
func (p *tailPolicy) reserve(ctx context.Context, batches [][]spanRef) error {
	var timer *time.Timer
	for i, batch := range batches {
		if len(batch) == 0 {
			continue
		}
		select {
		case p.slots[i] <- struct{}{}:
			continue
		default:
		}
		if timer == nil {
			timer = time.NewTimer(p.cfg.IngestTimeout)
			defer timer.Stop()
		}
		var err error
		select {
		case p.slots[i] <- struct{}{}:
			continue
		case <-ctx.Done():
			err = ctx.Err()
		case <-timer.C:
			p.eng.tel.refusedSpans("queue_full", remaining(batches))
			err = errRefused
		case <-p.stop:
			err = errRefused
		}
		p.unreserve(batches[:i])
		return err
	}
	return nil
}

// unreserve gives back the slots of the non-empty batches.
func (p *tailPolicy) unreserve(batches [][]spanRef) {
	for j := range batches {
		if len(batches[j]) > 0 {
			<-p.slots[j]
		}
	}
}

func remaining(batches [][]spanRef) int {
	n := 0
	for _, b := range batches {
		n += len(b)
	}
	return n
}

// split groups the request's spans by worker in one pass, keeping references.
func (p *tailPolicy) split(td ptrace.Traces) [][]spanRef {
	n := len(p.shards)
	batches := make([][]spanRef, n)
	rules := p.eng.rules
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		res := &sourceResource{rs: rs}
		attrs := rs.Resource().Attributes()
		if v, ok := attrs.Get("service.name"); ok {
			res.service = v.AsString()
		}
		res.team = p.eng.teams.teamOf(attrs)
		if rules.needSynthetic {
			res.synthetic = rules.isSynthetic(attrs)
		}
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			sc := &sourceScope{res: res, ss: sss.At(j)}
			spans := sc.ss.Spans()
			for k := 0; k < spans.Len(); k++ {
				span := spans.At(k)
				id := span.TraceID()
				if id.IsEmpty() {
					p.eng.tel.badInput(badEmptyTraceID, 1)
					continue
				}
				w := shardIndex(id, n)
				batches[w] = append(batches[w], spanRef{scope: sc, span: span})
			}
		}
	}
	return batches
}

// shardIndex mixes all 16 id bytes, so ids that differ only in their high half
// (some SDKs) still spread evenly.
func shardIndex(id pcommon.TraceID, n int) int {
	h1, _ := hashes(id)
	return int(h1 % uint64(n))
}

func (p *tailPolicy) runWorker(i int) {
	defer p.workers.Done()
	sh, in, slots, out := p.shards[i], p.inputs[i], p.slots[i], p.outputs[i]
	defer close(out)
	ticker := time.NewTicker(tickInterval)
	defer ticker.Stop()
	for {
		select {
		case b := <-in:
			<-slots
			p.ingestQueued(sh, b)
		case req := <-p.ctl[i]:
			sh.walSnapshot()
			close(req)
		case <-ticker.C:
			sh.expire(p.clock.Now())
		case <-p.drain:
			// No ConsumeTraces sends any more: what is queued is all there is.
			for {
				select {
				case b := <-in:
					<-slots
					p.ingestQueued(sh, b)
					continue
				default:
				}
				break
			}
			sh.shutdown(p.clock.Now())
			return
		}
	}
}

func (p *tailPolicy) runForwarder(i int) {
	defer p.workers.Done()
	tel := p.eng.tel
	lost := 0
	for b := range p.outputs[i] {
		if b.done != nil {
			p.forwardRetroactive(b)
			continue
		}
		td := b.td
		spans := td.SpanCount()
		if p.fwdCtx.Err() != nil {
			// Shutdown ran out of time: drained without calling next, so that
			// the worker is not blocked on its output queue.
			tel.downstreamError(downstreamShutdown, spans)
			lost += spans
			p.walHanded(i, b)
			continue
		}
		p.walBeforeForward(b)
		ctx, cancel := context.WithTimeout(p.fwdCtx, p.cfg.ForwardTimeout)
		err := p.next.ConsumeTraces(ctx, td)
		cancel()
		p.walHanded(i, b)
		if err == nil {
			tel.spansOut.Add(int64(spans))
		} else {
			tel.downstreamError(downstreamConsumerError, spans)
			p.logger.Warn("tail_policy: next consumer failed; kept spans lost", zap.Int("spans", spans), zap.Error(err))
		}
	}
	if lost > 0 {
		p.logger.Warn("tail_policy: shutdown timed out; kept spans not forwarded", zap.Int("spans", lost))
	}
}

func (p *tailPolicy) runControl() {
	defer p.workers.Done()
	ticker := time.NewTicker(controlInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ticker.C:
			p.control(p.clock.Now())
		case <-p.stop:
			return
		}
	}
}

// control updates the overload state and the budget scale, and logs the
// baseline summary; it is called periodically and directly by tests.
func (p *tailPolicy) control(now time.Time) {
	fill := float64(p.bufferedBytes()) / float64(p.cfg.Memory.LimitBytes)
	if limit := p.cfg.Memory.HeapLimitBytes; limit > 0 {
		fill = max(fill, float64(liveHeapBytes())/float64(limit))
	}
	if p.wal != nil {
		// The fuller of memory and disk drives the grades.
		fill = max(fill, p.wal.fill())
	}
	state, changed := p.overload.update(fill, now)
	p.eng.state.Store(int32(state))
	if changed {
		p.tb.ProcessorTailPolicyOverloadTransitions.Add(context.Background(), 1, p.eng.tel.overloads[state])
		p.logger.Info("tail_policy: overload state changed", zap.String("state", state.String()), zap.Float64("memory_fill", fill))
	}
	if elapsed := now.Sub(p.lastScale); elapsed >= time.Second {
		p.lastScale = now
		fixed, scaled := p.eng.keptFixed.Swap(0), p.eng.keptScaled.Swap(0)
		if budget := p.cfg.Budget.SpansPerSecond; budget > 0 {
			next := nextBudgetScale(budget, float64(fixed), float64(scaled), elapsed.Seconds(), p.eng.budgetScale())
			p.eng.scaleBits.Store(math.Float64bits(next))
		}
		p.controlTeams(elapsed)
	}
	if every := p.cfg.Baseline.LogInterval; every > 0 && now.Sub(p.lastLog) >= every {
		p.lastLog = now
		p.logBaselines(now)
	}
}

func (p *tailPolicy) logBaselines(now time.Time) {
	snap, tracked := p.eng.baseline.summary(now)
	fields := []zap.Field{zap.Int("tracked_keys", tracked), zap.Float64("percentile", p.cfg.Baseline.Percentile)}
	for _, s := range snap {
		fields = append(fields, zap.String(s.key.service+" "+s.key.kind+" "+s.key.route,
			fmt.Sprintf("%v over %.0f samples", s.quantile, s.samples)))
	}
	p.logger.Info("tail_policy: learned latency baselines (busiest armed keys)", fields...)
}

// nextBudgetScale moves the probabilistic rules' scale so that kept spans per
// second approach the budget: the fixed-rate rules' share is taken first, the
// probabilistic rules get the rest. Halfway steps damp oscillation.
func nextBudgetScale(budget, fixed, scaled, seconds, current float64) float64 {
	if scaled == 0 || current <= 0 {
		return 1
	}
	unscaled := scaled / current
	avail := budget*seconds - fixed
	target := min(1, max(minBudgetScale, avail/unscaled))
	return current/2 + target/2
}

const minBudgetScale = 0.001

func (p *tailPolicy) bufferedBytes() int64 {
	var n int64
	for _, s := range p.shards {
		n += s.bytes.Load()
	}
	return n
}

func (p *tailPolicy) bufferedTraces() int64 {
	var n int64
	for _, s := range p.shards {
		n += s.traceCount.Load()
	}
	return n
}

var heapSample = []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}

func liveHeapBytes() uint64 {
	s := make([]metrics.Sample, 1)
	copy(s, heapSample)
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

func (p *tailPolicy) registerGauges() error {
	tb := p.tb
	return errors.Join(
		tb.RegisterProcessorTailPolicyBufferedBytesCallback(func(_ context.Context, o metric.Int64Observer) error {
			o.Observe(p.bufferedBytes())
			return nil
		}),
		tb.RegisterProcessorTailPolicyBufferedTracesCallback(func(_ context.Context, o metric.Int64Observer) error {
			o.Observe(p.bufferedTraces())
			return nil
		}),
		tb.RegisterProcessorTailPolicyOverloadStateCallback(func(_ context.Context, o metric.Int64Observer) error {
			o.Observe(int64(p.eng.state.Load()))
			return nil
		}),
		tb.RegisterProcessorTailPolicyBudgetScaleCallback(func(_ context.Context, o metric.Float64Observer) error {
			o.Observe(p.eng.budgetScale())
			return nil
		}),
		tb.RegisterProcessorTailPolicyBaselineRoutesCallback(func(_ context.Context, o metric.Int64Observer) error {
			_, tracked := p.eng.baseline.summary(p.clock.Now())
			o.Observe(int64(tracked))
			return nil
		}),
		tb.RegisterProcessorTailPolicyBaselineQuantileCallback(func(_ context.Context, o metric.Float64Observer) error {
			snap, _ := p.eng.baseline.summary(p.clock.Now())
			for _, s := range snap {
				o.Observe(float64(s.quantile)/float64(time.Millisecond), metric.WithAttributes(
					attribute.String("service", s.key.service),
					attribute.String("route", s.key.route),
					attribute.String("span_kind", s.key.kind)))
			}
			return nil
		}),
	)
}
