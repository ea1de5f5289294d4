package piiscrub // import "github.com/otelcol-warden/otelcol-warden/processor/piiscrub"

import (
	"context"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-warden/otelcol-warden/processor/piiscrub/internal/metadata"
)

// scrubProcessor is one pii_scrub instance (one per signal pipeline).
type scrubProcessor struct {
	e      *engine
	logger *zap.Logger
	tb     *metadata.TelemetryBuilder
	pool   sync.Pool

	sigOpts  [numSignals][]metric.AddOption // one-element slices: passing them with ... does not allocate
	optCache sync.Map                       // telemetryKey -> metric.AddOption

	// warden_status (status.go): the counters its snapshots read, the configured entity names
	// (reported verbatim), and the function that unregisters (a no-op until start).
	id               component.ID
	status           *statusCounts
	entityNameSet    map[string]struct{}
	unregisterStatus func()
}

type telemetryKey struct {
	sig    signalKind
	kind   uint8 // 0 detections, 1 errors, 2 dropped
	ent    entity
	act    uint8
	loc    location
	reason reason
}

func newScrubProcessor(cfg *Config, set processor.Settings) (*scrubProcessor, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var keys *keyring
	if !cfg.MaskOnly {
		var err error
		keys, err = newKeyring(cfg.Key, set.Logger)
		if err != nil {
			return nil, err
		}
	}
	e, err := newEngine(cfg, keys)
	if err != nil {
		return nil, err
	}
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	p := &scrubProcessor{e: e, logger: set.Logger, tb: tb, id: set.ID, status: newStatusCounts(len(e.entityNames)),
		entityNameSet: make(map[string]struct{}, len(e.entityNames)), unregisterStatus: func() {}}
	for _, name := range e.entityNames {
		p.entityNameSet[name] = struct{}{}
	}
	p.pool.New = func() any { return newState(e) }
	for s := signalKind(0); s < numSignals; s++ {
		p.sigOpts[s] = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(attribute.String("signal", signalNames[s])))}
	}
	if keys != nil {
		keys.onReloadError = func() {
			p.tb.ProcessorPiiScrubErrors.Add(context.Background(), 1, p.option(telemetryKey{kind: 1, reason: reasonKeyReload}))
		}
	}
	return p, nil
}

func (p *scrubProcessor) start(_ context.Context, host component.Host) error {
	p.unregisterStatus = p.registerStatus(host)
	if p.e.keys != nil {
		p.e.keys.start()
		p.logger.Info("pii_scrub: started", zap.String("key_id", p.e.keys.current().describeID()))
	} else {
		p.logger.Info("pii_scrub: started in mask_only mode (no pseudonyms)")
	}
	return nil
}

func (p *scrubProcessor) shutdown(context.Context) error {
	p.unregisterStatus()
	if p.e.keys != nil {
		p.e.keys.shutdown()
	}
	if p.tb != nil {
		p.tb.Shutdown()
	}
	return nil
}

func (p *scrubProcessor) getState(sig signalKind) *state {
	st := p.pool.Get().(*state)
	st.reset(sig)
	return st
}

// option returns the cached measurement option for a telemetry key; all attribute values come from fixed enums
// or from the configuration, never from data.
func (p *scrubProcessor) option(k telemetryKey) metric.AddOption {
	if o, ok := p.optCache.Load(k); ok {
		return o.(metric.AddOption)
	}
	var set attribute.Set
	switch k.kind {
	case 0:
		set = attribute.NewSet(
			attribute.String("entity", p.e.entityNames[k.ent]),
			attribute.String("action", string(actionNames[k.act])),
			attribute.String("signal", signalNames[k.sig]),
			attribute.String("location", locationNames[k.loc]),
		)
	default:
		set = attribute.NewSet(attribute.String("signal", signalNames[k.sig]), attribute.String("reason", reasonNames[k.reason]))
	}
	o := metric.WithAttributeSet(set)
	p.optCache.Store(k, o)
	return o
}

// flush reports the batch's counters and returns the state to the pool.
func (p *scrubProcessor) flush(ctx context.Context, st *state) {
	sig := st.signal
	tb := p.tb
	if st.processed > 0 {
		tb.ProcessorPiiScrubRecordsProcessed.Add(ctx, st.processed, p.sigOpts[sig]...)
		p.status.scanned[sig].Add(st.processed)
	}
	if st.scrubbed > 0 {
		tb.ProcessorPiiScrubRecordsScrubbed.Add(ctx, st.scrubbed, p.sigOpts[sig]...)
		p.status.scrubbed[sig].Add(st.scrubbed)
	}
	if st.bytesScanned > 0 {
		tb.ProcessorPiiScrubBytesScanned.Add(ctx, st.bytesScanned, p.sigOpts[sig]...)
	}
	for k, n := range st.counts {
		if k.ent == noEntity || int(k.ent) >= len(p.e.entityNames) {
			continue
		}
		tb.ProcessorPiiScrubDetections.Add(ctx, n, p.option(telemetryKey{sig: sig, ent: k.ent, act: k.act, loc: k.loc}))
		p.status.addDetection(sig, k, n)
	}
	for r := reason(0); r < numReasons; r++ {
		if n := st.problems[r]; n > 0 {
			tb.ProcessorPiiScrubErrors.Add(ctx, n, p.option(telemetryKey{sig: sig, kind: 1, reason: r}))
		}
		if n := st.dropped[r]; n > 0 {
			tb.ProcessorPiiScrubRecordsDropped.Add(ctx, n, p.option(telemetryKey{sig: sig, kind: 2, reason: r}))
			p.status.dropped[sig][r].Add(n)
		}
	}
	p.pool.Put(st)
}

// record runs fn for one record (span, log record, data point) with panic protection, and reports whether the
// record must be dropped (fail_closed and the record could not be processed).
func (st *state) record(fn func()) (drop bool) {
	st.beginRecord()
	st.processed++
	func() {
		defer func() {
			if r := recover(); r != nil {
				st.problem(reasonPanic, true)
			}
		}()
		fn()
	}()
	if st.recError && st.e.failClosed {
		st.dropped[st.recReason]++
		return true
	}
	return false
}

// markRecord counts a record in which something (or its resource/scope) was scrubbed and sets the marker
// attribute named marker on it, unless marker is empty.
func (st *state) markRecord(attrs pcommon.Map, inherited bool, marker string) {
	if st.recChanged || inherited {
		st.scrubbed++
		if marker != "" {
			attrs.PutBool(marker, true)
		}
	}
}

// scrubContainer scrubs resource or scope attributes; it reports (changed, failed).
func (st *state) scrubContainer(attrs pcommon.Map, loc location, ts uint64) (bool, bool) {
	st.beginRecord()
	st.setTime(ts)
	st.loc = loc
	func() {
		defer func() {
			if r := recover(); r != nil {
				st.problem(reasonPanic, true)
			}
		}()
		st.scrubAttrs(attrs, 0)
	}()
	return st.recChanged, st.recError && st.e.failClosed
}
