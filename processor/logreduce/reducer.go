package logreduce // import "github.com/otelcol-warden/otelcol-warden/processor/logreduce"

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/ottl"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/ottl/contexts/ottllog"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-warden/otelcol-warden/processor/logreduce/drain"
	"github.com/otelcol-warden/otelcol-warden/processor/logreduce/internal/metadata"

	"github.com/otelcol-warden/otelcol-warden/internal/loglevel"
)

// reducer is the log_reduce processor.
type reducer struct {
	cfg          *Config
	next         consumer.Logs
	logger       *zap.Logger
	telemetry    *metadata.TelemetryBuilder
	keepSeverity plog.SeverityNumber
	keepWhen     *ottl.ConditionSequence[*ottllog.TransformContext]
	reduce       bool
	id           component.ID

	// life and unregisterStatus serve the warden_status extension (status.go).
	life             lifetime
	unregisterStatus func()

	mu        sync.Mutex
	templates *templateSet
	origins   origins
	dirty     []*cluster
	epoch     uint64
	tokenizer drain.Tokenizer
	tokens    []string
	hash      xxhash.Digest
	services  serviceNames
	// evicted collects the summaries of templates evicted during the current batch.
	evicted *summaryBatch

	// now is the clock (tests replace it).
	now func() time.Time

	stop chan struct{}
	done sync.WaitGroup
}

func newReducer(cfg *Config, set processor.Settings, next consumer.Logs) (*reducer, error) {
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	sev, _ := loglevel.Lowest(cfg.KeepSeverity)
	r := &reducer{
		cfg: cfg, next: next, logger: set.Logger, telemetry: tb, keepSeverity: sev,
		reduce:    cfg.Mode == ModeReduce,
		origins:   origins{},
		tokenizer: drain.Tokenizer{MaxTokens: cfg.Limits.MaxTokens},
		services:  serviceNames{max: cfg.Limits.MaxServicesInTelemetry, seen: map[string]struct{}{}},
		now:       time.Now,
		id:        set.ID,

		unregisterStatus: func() {},
	}
	r.templates = newTemplateSet(cfg, r.onEvict)
	if len(cfg.KeepWhen) > 0 {
		seq, err := parseKeepWhen(cfg.KeepWhen, set.TelemetrySettings)
		if err != nil {
			return nil, fmt.Errorf("log_reduce: keep_when: %w", err)
		}
		r.keepWhen = seq
	}
	if err := tb.RegisterProcessorLogReduceTemplatesActiveCallback(func(_ context.Context, o metric.Int64Observer) error {
		r.mu.Lock()
		defer r.mu.Unlock()
		o.Observe(int64(r.templates.total))
		return nil
	}); err != nil {
		return nil, err
	}
	return r, nil
}

func parseKeepWhen(conds []string, set component.TelemetrySettings) (*ottl.ConditionSequence[*ottllog.TransformContext], error) {
	parser, err := ottllog.NewParser(ottlFunctions(), set, ottllog.EnablePathContextNames())
	if err != nil {
		return nil, err
	}
	parsed, err := parser.ParseConditions(conds)
	if err != nil {
		return nil, err
	}
	seq := ottllog.NewConditionSequence(parsed, set, ottllog.WithConditionSequenceErrorMode(ottl.IgnoreError))
	return &seq, nil
}

// Capabilities: records are annotated and removed.
func (r *reducer) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: true}
}

// Start starts the window clock and the report and registers with warden_status (outside r.mu,
// so a registry that asks for a snapshot at once cannot deadlock); safe to call again after Shutdown.
func (r *reducer) Start(_ context.Context, host component.Host) error {
	r.mu.Lock()
	if r.stop != nil {
		r.mu.Unlock()
		return nil
	}
	r.stop = make(chan struct{})
	r.done.Add(1)
	go r.clock(r.stop)
	r.mu.Unlock()
	r.registerStatus(host)
	return nil
}

// clock emits the pending summaries at the end of every window and writes the report.
func (r *reducer) clock(stop chan struct{}) {
	defer r.done.Done()
	window := time.NewTicker(r.cfg.Window)
	defer window.Stop()
	var report <-chan time.Time
	if r.cfg.Report.Interval > 0 {
		t := time.NewTicker(r.cfg.Report.Interval)
		defer t.Stop()
		report = t.C
	}
	for {
		select {
		case <-stop:
			return
		case <-window.C:
			if err := r.endWindow(context.Background(), "window"); err != nil {
				r.logger.Warn("log_reduce: summaries were not accepted downstream", zap.Error(err))
			}
		case <-report:
			r.writeReport()
		}
	}
}

// Shutdown stops the clock and emits every pending summary, so a stop loses no count. Safe to call
// without Start and more than once.
func (r *reducer) Shutdown(ctx context.Context) error {
	r.mu.Lock()
	stop := r.stop
	r.stop = nil
	unregister := r.unregisterStatus
	r.unregisterStatus = func() {}
	r.mu.Unlock()
	unregister()
	if stop != nil {
		close(stop)
		r.done.Wait()
	}
	err := r.endWindow(ctx, "shutdown")
	r.telemetry.Shutdown()
	return err
}

// endWindow emits every pending summary and starts a new window.
func (r *reducer) endWindow(ctx context.Context, trigger string) error {
	r.mu.Lock()
	b := newSummaryBatch()
	r.flushAll(b, trigger, pcommon.NewTimestampFromTime(r.now()))
	r.mu.Unlock()
	return r.send(ctx, b)
}

func (r *reducer) send(ctx context.Context, b *summaryBatch) error {
	if b.empty() {
		return nil
	}
	r.life.summaries.Add(int64(b.logs.LogRecordCount()))
	for trigger, n := range b.counts {
		r.telemetry.ProcessorLogReduceSummariesEmitted.Add(ctx, n, metric.WithAttributeSet(triggerSet(trigger)))
	}
	return r.next.ConsumeLogs(ctx, b.logs)
}

// onEvict emits the pending summaries of a template about to be forgotten.
func (r *reducer) onEvict(c *cluster, limit string) {
	r.telemetry.ProcessorLogReduceTemplatesEvicted.Add(context.Background(), 1, metric.WithAttributeSet(limitSet(limit)))
	if len(c.State.pending) > 0 {
		r.emitPending(c, r.evicted, "eviction", pcommon.NewTimestampFromTime(r.now()))
	}
}

// ConsumeLogs mines, annotates and (in reduce mode) suppresses records, then passes the batch on
// together with the summaries of templates evicted meanwhile.
func (r *reducer) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	r.mu.Lock()
	r.evicted = newSummaryBatch()
	counts := r.process(ld)
	spill := r.evicted
	r.evicted = nil
	r.mu.Unlock()
	counts.record(ctx, r.telemetry)
	r.life.add(counts)
	if !spill.empty() {
		r.life.summaries.Add(int64(spill.logs.LogRecordCount()))
		for trigger, n := range spill.counts {
			r.telemetry.ProcessorLogReduceSummariesEmitted.Add(ctx, n, metric.WithAttributeSet(triggerSet(trigger)))
		}
		spill.logs.ResourceLogs().MoveAndAppendTo(ld.ResourceLogs())
	}
	if ld.ResourceLogs().Len() == 0 {
		return nil
	}
	return r.next.ConsumeLogs(ctx, ld)
}
