package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/otelcol-warden/otelcol-warden/internal/luhn"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploggrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	otellog "go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/metric"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// route is one HTTP endpoint of the demo shop, with its normal latency.
type route struct {
	service, method, template string
	path                      func(r *rand.Rand) string
	typical                   time.Duration
}

var routes = []route{
	{"checkout", "POST", "/checkout", func(*rand.Rand) string { return "/checkout" }, 120 * time.Millisecond},
	{"payment", "POST", "/payment", func(*rand.Rand) string { return "/payment" }, 200 * time.Millisecond},
	{"auth", "POST", "/auth/login", func(*rand.Rand) string { return "/auth/login" }, 60 * time.Millisecond},
	{"catalog", "GET", "/products/{id}", func(r *rand.Rand) string { return fmt.Sprintf("/products/%d", r.IntN(50000)) }, 30 * time.Millisecond},
	{"catalog", "GET", "/search", func(*rand.Rand) string { return "/search" }, 80 * time.Millisecond},
	{"accounts", "GET", "/users/{email}/profile", func(r *rand.Rand) string { return "/users/" + fakeEmail(r) + "/profile" }, 40 * time.Millisecond},
}

// traffic counts what the generator sent, for the before/after summary.
type traffic struct {
	traces, spans, errorTraces, slowTraces, syntheticTraces int
	logs, logsWithPII                                       int
	series                                                  map[string]struct{}
	piiPlanted                                              map[string]int
}

type shop struct {
	rng     *rand.Rand
	tracers map[string]trace.Tracer
	loggers map[string]otellog.Logger
	counter metric.Int64Counter
	latency metric.Float64Histogram
	sent    traffic
	start   time.Time
}

type providers struct {
	traces  []*sdktrace.TracerProvider
	logs    []*sdklog.LoggerProvider
	metrics []*sdkmetric.MeterProvider
}

func (p *providers) shutdown(ctx context.Context) error {
	for _, tp := range p.traces {
		if err := tp.Shutdown(ctx); err != nil {
			return err
		}
	}
	for _, lp := range p.logs {
		if err := lp.Shutdown(ctx); err != nil {
			return err
		}
	}
	for _, mp := range p.metrics {
		if err := mp.Shutdown(ctx); err != nil {
			return err
		}
	}
	return nil
}

// newShop wires one tracer, logger and meter provider per service, each exporting OTLP/gRPC to endpoint,
// exactly as an instrumented application would.
func newShop(ctx context.Context, endpoint string, seed uint64) (*shop, *providers, error) {
	s := &shop{
		rng:     rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		tracers: map[string]trace.Tracer{},
		loggers: map[string]otellog.Logger{},
		sent:    traffic{series: map[string]struct{}{}, piiPlanted: map[string]int{}},
		start:   time.Now(),
	}
	p := &providers{}
	services := []string{"frontend", "checkout", "payment", "auth", "catalog", "accounts"}
	for _, svc := range services {
		res := resource.NewSchemaless(
			attribute.String("service.name", svc),
			attribute.String("k8s.namespace.name", shopNamespace(svc)),
			attribute.String("k8s.pod.name", svc+"-7d9c8b6f5-x2x9z"),
		)
		te, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(endpoint), otlptracegrpc.WithInsecure())
		if err != nil {
			return nil, nil, err
		}
		tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(te, sdktrace.WithMaxQueueSize(1<<16)), sdktrace.WithResource(res))
		p.traces = append(p.traces, tp)
		s.tracers[svc] = tp.Tracer("demo/" + svc)

		le, err := otlploggrpc.New(ctx, otlploggrpc.WithEndpoint(endpoint), otlploggrpc.WithInsecure())
		if err != nil {
			return nil, nil, err
		}
		lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewBatchProcessor(le, sdklog.WithMaxQueueSize(1<<15))), sdklog.WithResource(res))
		p.logs = append(p.logs, lp)
		s.loggers[svc] = lp.Logger("demo/" + svc)
	}
	me, err := otlpmetricgrpc.New(ctx, otlpmetricgrpc.WithEndpoint(endpoint), otlpmetricgrpc.WithInsecure())
	if err != nil {
		return nil, nil, err
	}
	mp := sdkmetric.NewMeterProvider(
		sdkmetric.WithReader(sdkmetric.NewPeriodicReader(me, sdkmetric.WithInterval(2*time.Second))),
		sdkmetric.WithResource(resource.NewSchemaless(attribute.String("service.name", "frontend"), attribute.String("k8s.namespace.name", shopNamespace("frontend")))),
		// The SDK's own cardinality limit would hide the explosion the demo is about.
		sdkmetric.WithCardinalityLimit(0))
	p.metrics = append(p.metrics, mp)
	meter := mp.Meter("demo/frontend")
	if s.counter, err = meter.Int64Counter("http.server.request.count"); err != nil {
		return nil, nil, err
	}
	if s.latency, err = meter.Float64Histogram("http.server.request.duration", metric.WithUnit("s")); err != nil {
		return nil, nil, err
	}
	return s, p, nil
}

// request simulates one user request through the frontend to a backend service. Timestamps are explicit
// so slow outliers cost no wall-clock time.
func (s *shop) request(ctx context.Context, at time.Time) {
	r := s.rng
	rt := routes[r.IntN(len(routes))]
	path := rt.path(r)
	synthetic := r.Float64() < 0.02
	isError := r.Float64() < 0.03
	slow := r.Float64() < 0.02
	latency := time.Duration(float64(rt.typical) * (0.6 + 0.8*r.Float64()))
	if slow {
		latency *= 8
	}
	status := 200
	if isError {
		status = 500 + r.IntN(4)
	}
	userEmail := fakeEmail(r)
	userAgent := "Mozilla/5.0 (X11; Linux x86_64) Firefox/139.0"
	if synthetic {
		userAgent = "Datadog/Synthetics"
	}
	clientIP := fmt.Sprintf("203.0.113.%d", 1+r.IntN(250))

	attrs := []attribute.KeyValue{
		attribute.String("http.request.method", rt.method),
		attribute.String("http.route", rt.template),
		attribute.String("url.path", path),
		attribute.String("url.full", fmt.Sprintf("https://shop.example.com%s?session=%016x&lang=en", path, r.Uint64())),
		attribute.Int("http.response.status_code", status),
		attribute.String("user_agent.original", userAgent),
		attribute.String("client.address", clientIP),
		attribute.String("enduser.id", userEmail),
	}
	s.sent.piiPlanted["email"] += 1
	s.sent.piiPlanted["ip"] += 1
	if rt.template == "/users/{email}/profile" {
		s.sent.piiPlanted["email"]++
	}
	if synthetic {
		attrs = append(attrs, attribute.Bool("synthetic", true))
	}
	ctx, root := s.tracers["frontend"].Start(ctx, rt.method+" "+rt.template,
		trace.WithSpanKind(trace.SpanKindServer), trace.WithTimestamp(at), trace.WithAttributes(attrs...))
	_, child := s.tracers[rt.service].Start(ctx, rt.method+" "+rt.template,
		trace.WithSpanKind(trace.SpanKindServer), trace.WithTimestamp(at.Add(2*time.Millisecond)),
		trace.WithAttributes(attribute.String("http.route", rt.template), attribute.Int("http.response.status_code", status)))
	if isError {
		card := fakeCard(r)
		child.RecordError(fmt.Errorf("payment declined for card %s (customer %s)", card, userEmail), trace.WithTimestamp(at.Add(latency/2)))
		child.SetStatus(codes.Error, "upstream failure")
		root.SetStatus(codes.Error, "upstream failure")
		s.sent.piiPlanted["card"]++
		s.sent.piiPlanted["email"]++
	}
	child.End(trace.WithTimestamp(at.Add(latency - 2*time.Millisecond)))
	root.End(trace.WithTimestamp(at.Add(latency)))
	s.sent.traces++
	s.sent.spans += 2
	if isError {
		s.sent.errorTraces++
	}
	if slow {
		s.sent.slowTraces++
	}
	if synthetic {
		s.sent.syntheticTraces++
	}

	s.log(ctx, rt, status, userEmail, clientIP)

	userID := fmt.Sprintf("u-%06d", r.IntN(200000))
	// order.id is unbounded but not personal: pii_scrub leaves it, so it is cardinality_guard's to catch.
	orderID := fmt.Sprintf("ord-%07d", r.IntN(10_000_000))
	mattrs := metric.WithAttributes(
		attribute.String("http.route", rt.template),
		attribute.String("url.path", path),
		attribute.Int("http.response.status_code", status),
		attribute.String("user_id", userID),
		attribute.String("order.id", orderID),
	)
	s.counter.Add(ctx, 1, mattrs)
	s.latency.Record(ctx, latency.Seconds(), mattrs)
	s.sent.series[fmt.Sprintf("%s|%s|%d|%s|%s", rt.template, path, status, userID, orderID)] = struct{}{}
}

func (s *shop) log(ctx context.Context, rt route, status int, email, ip string) {
	var rec otellog.Record
	rec.SetTimestamp(time.Now())
	rec.SetSeverity(otellog.SeverityInfo)
	body := fmt.Sprintf("%s %s -> %d for %s from %s", rt.method, rt.template, status, email, ip)
	s.sent.piiPlanted["email"]++
	s.sent.piiPlanted["ip"]++
	if status >= 500 {
		rec.SetSeverity(otellog.SeverityError)
		phone := fmt.Sprintf("+44 20 7946 %04d", s.rng.IntN(10000))
		body += ", customer asked for a call back on " + phone
		s.sent.piiPlanted["phone"]++
	}
	rec.SetBody(attribute.StringValue(body))
	rec.AddAttributes(attribute.String("http.route", rt.template), attribute.Int("http.response.status_code", status))
	s.loggers[rt.service].Emit(ctx, rec)
	s.sent.logs++
	s.sent.logsWithPII++
}

var firstNames = []string{"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"}

func fakeEmail(r *rand.Rand) string {
	return fmt.Sprintf("%s.%d@example.com", firstNames[r.IntN(len(firstNames))], r.IntN(1000))
}

// fakeCard returns a Visa test-range number with a valid Luhn check digit, in groups of four.
func fakeCard(r *rand.Rand) string {
	payload := make([]byte, 15)
	payload[0] = '4'
	for i := 1; i < 15; i++ {
		payload[i] = byte('0' + r.IntN(10))
	}
	card := luhn.Complete(string(payload))
	return card[0:4] + " " + card[4:8] + " " + card[8:12] + " " + card[12:16]
}
