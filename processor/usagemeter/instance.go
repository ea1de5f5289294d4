// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package usagemeter // import "github.com/otelcol-warden/otelcol-warden/processor/usagemeter"

import (
	"context"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/otelcol-warden/otelcol-warden/internal/teamid"
	"github.com/otelcol-warden/otelcol-warden/internal/tenantid"
	"github.com/otelcol-warden/otelcol-warden/processor/usagemeter/internal/metadata"
)

// meters holds the meter of every usage_meter instance of this process, so that the three
// signals of one instance share one team table and one report, and a report can compare stages
// (received vs exported).
var meters = struct {
	sync.Mutex
	byKey map[meterKey]*meterRef
}{byKey: map[meterKey]*meterRef{}}

// meterKey is the component ID and its configuration: the collector passes one Config per ID to
// every pipeline, so pipelines of one instance share a meter while two collectors in one test
// process with the same ID do not.
type meterKey struct {
	id  component.ID
	cfg *Config
}

type meterRef struct {
	m    *meter
	refs int
}

func acquireMeter(set processor.Settings, cfg *Config) *meter {
	meters.Lock()
	defer meters.Unlock()
	key := meterKey{set.ID, cfg}
	ref, ok := meters.byKey[key]
	if !ok {
		ref = &meterRef{m: newMeter(set.ID, cfg, set.Logger)}
		meters.byKey[key] = ref
	}
	ref.refs++
	return ref.m
}

func releaseMeter(m *meter) {
	meters.Lock()
	defer meters.Unlock()
	key := meterKey{m.id, m.cfg}
	if ref, ok := meters.byKey[key]; ok {
		if ref.refs--; ref.refs == 0 {
			delete(meters.byKey, key)
		}
	}
}

// allMeters returns the meters of this process ordered by stage name.
func allMeters() []*meter {
	meters.Lock()
	defer meters.Unlock()
	out := make([]*meter, 0, len(meters.byKey))
	for _, ref := range meters.byKey {
		out = append(out, ref.m)
	}
	return out
}

// instance is what the three signal processors have in common: the shared meter, this
// pipeline's telemetry, and a lifecycle safe to call in any order.
type instance struct {
	m          *meter
	sig        signal
	tel        *metadata.TelemetryBuilder
	mutates    bool
	rejectOpts [teamid.ReasonCount]metric.AddOption

	mu       sync.Mutex
	started  bool
	released bool
}

func newInstance(set processor.Settings, cfg *Config, sig signal) (*instance, error) {
	in := &instance{sig: sig}
	tel, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	in.tel = tel
	in.m = acquireMeter(set, cfg)
	for r := range in.rejectOpts {
		in.rejectOpts[r] = metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", teamid.ReasonName(tenantid.Reason(r)))))
	}
	for _, b := range cfg.Budgets {
		in.mutates = in.mutates || (sig == signalLogs && b.Logs != nil) || (sig == signalMetrics && b.Metrics != nil)
	}
	if err := in.registerCallbacks(); err != nil {
		tel.Shutdown()
		releaseMeter(in.m)
		return nil, err
	}
	return in, nil
}

func (in *instance) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: in.mutates}
}

func (in *instance) Start(_ context.Context, host component.Host) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if !in.started && !in.released {
		in.started = true
		in.m.start(host)
	}
	return nil
}

func (in *instance) Shutdown(context.Context) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.released {
		return nil
	}
	in.released = true
	if in.started {
		in.m.shutdown()
	}
	in.tel.Shutdown()
	releaseMeter(in.m)
	return nil
}

// tally accumulates one batch's usage per team, so that counters are updated once per team per
// batch rather than once per resource.
type tally struct {
	entries  []tallyEntry
	buf      [8]tallyEntry
	rejected [teamid.ReasonCount]int64
	dropped  []dropEntry
}

type tallyEntry struct {
	t              *team
	records, bytes int64
}

type dropEntry struct {
	t      *team
	reason string
	n      int64
	bytes  int64 // framed size of the refused records
}

func (tl *tally) add(t *team, records, bytes int64) {
	if tl.entries == nil {
		tl.entries = tl.buf[:0]
	}
	for i := range tl.entries {
		if e := &tl.entries[i]; e.t == t {
			e.records += records
			e.bytes += bytes
			return
		}
	}
	tl.entries = append(tl.entries, tallyEntry{t: t, records: records, bytes: bytes})
}

func (tl *tally) drop(t *team, reason string, n, bytes int64) {
	if n > 0 {
		tl.dropped = append(tl.dropped, dropEntry{t: t, reason: reason, n: n, bytes: bytes})
	}
}

// teamOf resolves a resource's team and its table entry.
func (in *instance) teamOf(resource pcommon.Map, tl *tally) *team {
	return in.m.teams.get(in.m.resolver.Resolve(resource, &tl.rejected))
}

// flush publishes a batch's tally.
func (in *instance) flush(ctx context.Context, tl *tally) {
	for _, e := range tl.entries {
		e.t.add(in.sig, e.records, e.bytes)
		opt := e.t.opts[in.sig]
		in.tel.ProcessorUsageMeterRecords.Add(ctx, e.records, opt)
		in.tel.ProcessorUsageMeterBytes.Add(ctx, e.bytes, opt)
	}
	for r, n := range tl.rejected {
		if n > 0 {
			in.tel.ProcessorUsageMeterTeamValuesRejected.Add(ctx, n, in.rejectOpts[r])
		}
	}
	for _, d := range tl.dropped {
		d.t.usage[in.sig].dropped.Add(d.n)
		in.m.countRemoved(d.reason, d.n, d.bytes)
		in.tel.ProcessorUsageMeterDropped.Add(ctx, d.n, metric.WithAttributeSet(attribute.NewSet(
			attribute.String("team", d.t.name), attribute.String("signal", in.sig.String()), attribute.String("reason", d.reason))))
	}
}
