package wardenstatus // import "github.com/otelcol-warden/otelcol-warden/extension/wardenstatus"

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// The collector's own metrics give the item counts of every component, ours and upstream's,
// without importing any: they are read from the collector's own Prometheus endpoint on loopback,
// the same figures a Prometheus scraping the collector sees.

const (
	selfMetricsTimeout  = 2 * time.Second
	selfMetricsMaxBytes = 16 << 20
	// selfMetricsCacheFor keeps page and API requests from scraping more than once a second.
	selfMetricsCacheFor = time.Second
)

// selfCounts is what the own metrics say about one component.
type selfCounts struct {
	in, out uint64
	removed map[string]uint64 // reason -> items
}

// selfMetricNames maps an own metric (without _total) to the component kind, its id label and
// what it counts. Receivers: in = accepted + refused + failed, out = accepted. Exporters: in =
// sent + send_failed, out = sent. Processors: incoming and outgoing items.
var selfMetricNames = func() map[string]selfMetric {
	m := map[string]selfMetric{
		"otelcol_processor_incoming_items": {kind: "processor", label: "processor", in: true},
		"otelcol_processor_outgoing_items": {kind: "processor", label: "processor", out: true},
	}
	for _, sig := range []string{"spans", "metric_points", "log_records"} {
		m["otelcol_receiver_accepted_"+sig] = selfMetric{kind: "receiver", label: "receiver", in: true, out: true}
		m["otelcol_receiver_refused_"+sig] = selfMetric{kind: "receiver", label: "receiver", in: true, reason: "refused"}
		m["otelcol_receiver_failed_"+sig] = selfMetric{kind: "receiver", label: "receiver", in: true, reason: "failed"}
		m["otelcol_exporter_sent_"+sig] = selfMetric{kind: "exporter", label: "exporter", in: true, out: true}
		m["otelcol_exporter_send_failed_"+sig] = selfMetric{kind: "exporter", label: "exporter", in: true, reason: "send_failed"}
	}
	return m
}()

type selfMetric struct {
	kind, label string
	in, out     bool
	reason      string
}

// selfMetricsReader scrapes and caches the own metrics.
type selfMetricsReader struct {
	client *http.Client

	mu       sync.Mutex
	at       time.Time
	counts   map[componentKey]*selfCounts
	lastErr  error
	endpoint string
}

func newSelfMetricsReader() *selfMetricsReader {
	return &selfMetricsReader{client: &http.Client{Timeout: selfMetricsTimeout}}
}

// read returns the counts per component from endpoint (host:port), at most a second old.
func (r *selfMetricsReader) read(ctx context.Context, endpoint string, now time.Time) (map[componentKey]*selfCounts, error) {
	if endpoint == "" {
		return nil, fmt.Errorf("no pull Prometheus reader in service::telemetry::metrics and no self_metrics::endpoint")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.endpoint == endpoint && now.Sub(r.at) < selfMetricsCacheFor && !r.at.IsZero() {
		return r.counts, r.lastErr
	}
	r.counts, r.lastErr = r.scrape(ctx, endpoint)
	r.at, r.endpoint = now, endpoint
	return r.counts, r.lastErr
}

func (r *selfMetricsReader) scrape(ctx context.Context, endpoint string) (map[componentKey]*selfCounts, error) {
	ctx, cancel := context.WithTimeout(ctx, selfMetricsTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+endpoint+"/metrics", http.NoBody)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("reading own metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("reading own metrics: HTTP %d", resp.StatusCode)
	}
	return parseSelfMetrics(io.LimitReader(resp.Body, selfMetricsMaxBytes))
}

// parseSelfMetrics sums the counters of selfMetricNames per component.
func parseSelfMetrics(in io.Reader) (map[componentKey]*selfCounts, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(in)
	if err != nil {
		return nil, fmt.Errorf("parsing own metrics: %w", err)
	}
	out := map[componentKey]*selfCounts{}
	for name, fam := range families {
		sm, ok := selfMetricNames[strings.TrimSuffix(name, "_total")]
		if !ok {
			continue
		}
		for _, m := range fam.GetMetric() {
			id := labelValue(m, sm.label)
			if id == "" {
				continue
			}
			key := componentKey{kind: sm.kind, id: id}
			c := out[key]
			if c == nil {
				c = &selfCounts{removed: map[string]uint64{}}
				out[key] = c
			}
			v := counterValue(m)
			if sm.in {
				c.in += v
			}
			if sm.out {
				c.out += v
			}
			if sm.reason != "" {
				c.removed[sm.reason] += v
			}
		}
	}
	return out, nil
}

func labelValue(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

func counterValue(m *dto.Metric) uint64 {
	var v float64
	switch {
	case m.GetCounter() != nil:
		v = m.GetCounter().GetValue()
	case m.GetUntyped() != nil:
		v = m.GetUntyped().GetValue()
	case m.GetGauge() != nil:
		v = m.GetGauge().GetValue()
	}
	if v < 0 {
		return 0
	}
	return uint64(v)
}
