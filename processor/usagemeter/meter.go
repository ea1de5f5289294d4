// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package usagemeter // import "github.com/otelcol-warden/otelcol-warden/processor/usagemeter"

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/otelcol-warden/otelcol-warden/internal/teamid"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-warden/otelcol-warden/internal/loglevel"
)

// signal indexes per-signal state.
type signal uint8

const (
	signalTraces signal = iota
	signalLogs
	signalMetrics
	signalCount
)

var signalNames = [signalCount]string{"traces", "logs", "metrics"}

func (s signal) String() string { return signalNames[s] }

// usage is what one team sent on one signal through one instance, cumulative.
type usage struct {
	records atomic.Int64
	bytes   atomic.Int64
	// dropped are the records refused for budget (also in records: usage is what arrived).
	dropped atomic.Int64
}

// team is one entry of the team table.
type team struct {
	name    string
	usage   [signalCount]usage
	budgets [signalCount]*budget
	// series is the active-series window (metrics); known is set for teams with a metrics budget.
	series *seriesWindow
	known  *knownSeries
	// rate is the last measured bytes and records per second per signal (report interval), for the
	// cost estimate.
	rates [signalCount]rates
	// opts are the team, signal and stage attributes of this team's counters, built once.
	opts [signalCount]metric.MeasurementOption
}

type rates struct {
	mu                     sync.Mutex
	lastRecords, lastBytes int64
	recordsPerSec, bytesPS float64
	// sampled is false until a whole sample interval has passed; until then the rates are
	// averages since the meter was created.
	sampled bool
}

// meter is the state of one usage_meter instance (one component ID), shared by the pipelines and
// signals it is used in: the team table, the usage counters behind the report, budgets and series
// windows. The pipeline processors (tracesMeter, logsMeter, metricsMeter) hold it.
type meter struct {
	id       component.ID
	stage    string
	cfg      *Config
	logger   *zap.Logger
	resolver *teamid.Resolver
	teams    *teamTable
	keep     plog.SeverityNumber
	now      func() time.Time

	mu      sync.Mutex // guards started and stop
	started int
	stop    context.CancelFunc
	done    chan struct{}
	// lastReport is when usage rates were last sampled; born is when the meter was created.
	lastReport time.Time
	born       time.Time

	// For the warden_status snapshots (status.go): removals by reason, the names shown verbatim,
	// and the undo of the registration made by the first start.
	removed          map[string]*removedCounter
	configuredNames  map[string]struct{}
	unregisterStatus func()
}

func newMeter(id component.ID, cfg *Config, logger *zap.Logger) *meter {
	stage := id.Name()
	if stage == "" {
		stage = id.Type().String()
	}
	m := &meter{id: id, stage: stage, cfg: cfg, logger: logger, resolver: &teamid.Resolver{Attributes: cfg.TeamAttributes, Mapping: cfg.TeamMapping, Default: cfg.DefaultTeam}, now: time.Now, born: time.Now()}
	m.keep, _ = loglevel.Lowest(cfg.KeepSeverity)
	m.initStatus()
	preset := append([]string{cfg.DefaultTeam}, sortedKeys(cfg.Budgets)...)
	m.teams = newTeamTable(cfg.MaxTeams, preset, m.newTeam)
	return m
}

func (m *meter) newTeam(name string) *team {
	t := &team{name: name, series: newSeriesWindow(m.cfg.Series.Buckets)}
	for s := range t.opts {
		t.opts[s] = metric.WithAttributeSet(attribute.NewSet(attribute.String("team", name),
			attribute.String("signal", signal(s).String()), attribute.String("stage", m.stage)))
	}
	if b, ok := m.cfg.Budgets[name]; ok {
		t.budgets[signalLogs] = newBudget(b.Logs)
		t.budgets[signalMetrics] = newBudget(b.Metrics)
		t.budgets[signalTraces] = newBudget(b.Traces)
		if b.Metrics != nil {
			t.known = newKnownSeries(m.cfg.Series.MaxTrackedPerTeam, m.cfg.Series.Buckets)
		}
	}
	return t
}

// releaseAfter is how long a team must stay without a refusal before its throttling is reported
// as ended, so that a team hovering at its budget logs one start and one end, not one per batch.
const releaseAfter = 30 * time.Second

// rateSampleInterval is how often per-second usage rates (for the cost estimate) are measured.
const rateSampleInterval = time.Minute

// start runs the background loop once, whichever pipeline starts first.
func (m *meter) start(host component.Host) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.started++
	if m.started > 1 {
		return
	}
	m.registerStatus(host)
	ctx, cancel := context.WithCancel(context.Background())
	m.stop, m.done = cancel, make(chan struct{})
	go m.loop(ctx, m.done)
}

// shutdown stops the loop when the last started pipeline shuts down; safe without start.
func (m *meter) shutdown() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.started == 0 {
		return
	}
	m.started--
	if m.started == 0 {
		m.unregisterStatus()
		m.unregisterStatus = func() {}
		m.stop()
		<-m.done
	}
}

func (m *meter) loop(ctx context.Context, done chan struct{}) {
	defer close(done)
	second := time.NewTicker(time.Second)
	defer second.Stop()
	rotate := time.NewTicker(m.cfg.Series.Window / time.Duration(m.cfg.Series.Buckets))
	defer rotate.Stop()
	var report <-chan time.Time
	if m.cfg.Report.Interval > 0 {
		t := time.NewTicker(m.cfg.Report.Interval)
		defer t.Stop()
		report = t.C
	}
	m.sampleRates(m.now())
	// Rates behind the cost gauge are sampled every rateSample; the report samples them as well.
	rateSample := time.NewTicker(rateSampleInterval)
	defer rateSample.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-second.C:
			m.tickBudgets(m.now())
		case <-rotate.C:
			m.rotateSeries()
		case <-rateSample.C:
			m.sampleRates(m.now())
		case <-report:
			now := m.now()
			m.sampleRates(now)
			m.logReport(now)
		}
	}
}

// tickBudgets updates every budget and logs the start and end of each team's throttling once.
func (m *meter) tickBudgets(now time.Time) {
	for _, t := range m.teams.all() {
		for s, b := range t.budgets {
			if b == nil {
				continue
			}
			switch b.tick(now, releaseAfter) {
			case +1:
				m.logger.Warn("usage_meter: team over budget, throttling",
					zap.String("stage", m.stage), zap.String("team", t.name), zap.String("signal", signal(s).String()),
					zap.String("action", throttleAction(signal(s))))
			case -1:
				m.logger.Info("usage_meter: team back within budget, throttling ended",
					zap.String("stage", m.stage), zap.String("team", t.name), zap.String("signal", signal(s).String()))
			}
		}
	}
}

func throttleAction(s signal) string {
	switch s {
	case signalLogs:
		return "dropping records below keep_severity"
	case signalMetrics:
		return "refusing new series"
	default:
		return "none (spans are never dropped here; reported only)"
	}
}

func (m *meter) rotateSeries() {
	for _, t := range m.teams.all() {
		t.series.rotate()
		if t.known != nil {
			t.known.rotate()
		}
	}
}

// sampleRates turns cumulative usage into per-second rates since the previous sample.
func (m *meter) sampleRates(now time.Time) {
	elapsed := now.Sub(m.lastReport).Seconds()
	first := m.lastReport.IsZero()
	m.lastReport = now
	for _, t := range m.teams.all() {
		for s := range t.usage {
			r, u := &t.rates[s], &t.usage[s]
			recs, bytes := u.records.Load(), u.bytes.Load()
			r.mu.Lock()
			if !first && elapsed > 0 {
				r.recordsPerSec = float64(recs-r.lastRecords) / elapsed
				r.bytesPS = float64(bytes-r.lastBytes) / elapsed
				r.sampled = true
			}
			r.lastRecords, r.lastBytes = recs, bytes
			r.mu.Unlock()
		}
	}
}

// add counts records and bytes of a team.
func (t *team) add(s signal, records, bytes int64) {
	t.usage[s].records.Add(records)
	t.usage[s].bytes.Add(bytes)
}
