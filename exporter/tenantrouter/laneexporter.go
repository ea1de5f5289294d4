// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tenantrouter // import "github.com/otelcol-warden/otelcol-warden/exporter/tenantrouter"

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configmiddleware"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/otlphttpexporter"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"

	"github.com/otelcol-warden/otelcol-warden/exporter/tenantrouter/internal/metadata"
)

// Each lane sends through its own instance of the stock otlp_http exporter, as contrib's
// loadbalancing exporter builds its backends from the stock factories: the status classes, the
// retryable set (429, 502, 503, 504), Retry-After, compression, the user agent and partial-success
// handling are otlp_http's own. The lane's exporterhelper (queue, persistent queue, retry) wraps
// it, so the stock exporter runs with its queue and retry off and answers each push synchronously;
// its own exporterhelper metrics are silenced so that the lane's are not counted twice.

var otlpHTTPFactory = otlphttpexporter.NewFactory()

// laneExporterConfig is the otlp_http configuration of one tenant's lane: the router's client
// settings with the tenant header added last (so it wins over a configured header of the same
// name) and the request counter as the innermost middleware.
func laneExporterConfig(cfg *Config, signal, endpoint, tenant string) *otlphttpexporter.Config {
	oc := otlpHTTPFactory.CreateDefaultConfig().(*otlphttpexporter.Config)
	oc.ClientConfig = cfg.ClientConfig
	headers := make(configopaque.MapList, 0, len(cfg.ClientConfig.Headers)+1)
	for _, h := range cfg.ClientConfig.Headers {
		if !strings.EqualFold(h.Name, cfg.Header) {
			headers = append(headers, h)
		}
	}
	oc.ClientConfig.Headers = append(headers, configopaque.Pair{Name: cfg.Header, Value: configopaque.String(tenant)})
	oc.ClientConfig.Middlewares = append(slices.Clone(cfg.ClientConfig.Middlewares), configmiddleware.Config{ID: requestCounterID})
	oc.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
	oc.RetryConfig.Enabled = false
	oc.Encoding = otlphttpexporter.EncodingProto
	switch signal {
	case "traces":
		oc.TracesEndpoint = endpoint
	case "metrics":
		oc.MetricsEndpoint = endpoint
	case "logs":
		oc.LogsEndpoint = endpoint
	}
	return oc
}

// laneExporterSettings are the lane's settings with the stock exporter's own metrics silenced.
func laneExporterSettings(set exporter.Settings) exporter.Settings {
	set.ID = component.NewIDWithName(otlpHTTPFactory.Type(), set.ID.String())
	set.TelemetrySettings.MeterProvider = metricnoop.NewMeterProvider()
	return set
}

// requestCounterID names the request counter among the extensions the lane's otlp_http sees.
var requestCounterID = component.NewIDWithName(component.MustNewType("tenant_router"), "requests")

// requestCounter is an HTTP client middleware (extensionmiddleware.HTTPClient) that counts each
// request of one lane by tenant and status class (exporter_tenant_router_requests), and closes the
// lane's idle connections when the lane stops.
type requestCounter struct {
	telemetry *metadata.TelemetryBuilder
	tenant    string
	attrs     [statusClassCount]metric.MeasurementOption

	mu    sync.Mutex
	bases []http.RoundTripper
}

type statusClass int

const (
	class2xx statusClass = iota
	class3xx
	class4xx
	class5xx
	classTransportError
	statusClassCount
)

var statusClassNames = [statusClassCount]string{"2xx", "3xx", "4xx", "5xx", "transport_error"}

func newRequestCounter(tb *metadata.TelemetryBuilder, tenant string) *requestCounter {
	c := &requestCounter{telemetry: tb, tenant: tenant}
	for i := range c.attrs {
		c.attrs[i] = metric.WithAttributeSet(attribute.NewSet(attribute.String("tenant", tenant), attribute.String("status_class", statusClassNames[i])))
	}
	return c
}

func (*requestCounter) Start(context.Context, component.Host) error { return nil }
func (*requestCounter) Shutdown(context.Context) error              { return nil }

// GetHTTPRoundTripper implements extensionmiddleware.HTTPClient.
func (c *requestCounter) GetHTTPRoundTripper(context.Context) (func(context.Context, http.RoundTripper) (http.RoundTripper, error), error) {
	return func(_ context.Context, base http.RoundTripper) (http.RoundTripper, error) {
		c.mu.Lock()
		c.bases = append(c.bases, base)
		c.mu.Unlock()
		return countingRoundTripper{base: base, counter: c}, nil
	}, nil
}

func (c *requestCounter) count(ctx context.Context, class statusClass) {
	c.telemetry.ExporterTenantRouterRequests.Add(ctx, 1, c.attrs[class])
}

// closeIdleConnections releases the lane's pooled connections (otlp_http itself leaves them to the
// transport's idle timeout).
func (c *requestCounter) closeIdleConnections() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, b := range c.bases {
		if ci, ok := b.(interface{ CloseIdleConnections() }); ok {
			ci.CloseIdleConnections()
		}
	}
}

type countingRoundTripper struct {
	base    http.RoundTripper
	counter *requestCounter
}

func (rt countingRoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := rt.base.RoundTrip(req)
	if err != nil {
		rt.counter.count(req.Context(), classTransportError)
		return resp, err
	}
	rt.counter.count(req.Context(), statusClassOf(resp.StatusCode))
	return resp, nil
}

func statusClassOf(code int) statusClass {
	switch {
	case code >= 200 && code <= 299:
		return class2xx
	case code >= 300 && code <= 399:
		return class3xx
	case code >= 400 && code <= 499:
		return class4xx
	case code >= 500 && code <= 599:
		return class5xx
	}
	return classTransportError
}

// laneHost is the host the lane's otlp_http starts with: the collector's extensions (auth,
// middlewares) plus the lane's request counter.
type laneHost struct {
	component.Host
	extensions map[component.ID]component.Component
}

func newLaneHost(host component.Host, counter *requestCounter) laneHost {
	exts := maps.Clone(host.GetExtensions())
	if exts == nil {
		exts = map[component.ID]component.Component{}
	}
	exts[requestCounterID] = counter
	return laneHost{Host: host, extensions: exts}
}

func (h laneHost) GetExtensions() map[component.ID]component.Component { return h.extensions }
