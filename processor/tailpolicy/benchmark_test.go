// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/processor/tailsamplingprocessor"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/otelcol-warden/otelcol-warden/processor/tailpolicy/internal/metadata"
)

// The same workload and equivalent policies for tail_policy and contrib's
// tail_sampling v0.161.0: errors, fixed latency, a string attribute,
// and(route attribute, 50%), 5%.
const (
	benchTraces        = 500
	benchSpansPerTrace = 20
	benchBatchTraces   = 50
)

var benchRoutes = []string{"/api/checkout", "/api/payment", "/api/auth", "/catalog", "/catalog/{id}", "/search", "/cart", "/home", "/api/recommendations", "/profile"}

// benchWorkload builds requests of benchBatchTraces complete traces each, with
// the repetitive attribute values of the original benchmark.
func benchWorkload(seed uint64) []ptrace.Traces { return benchWorkloadOf(seed, false) }

// benchWorkloadOf builds requests of benchBatchTraces complete traces each.
// repetitive: one resource, 8 span attributes, most values the same in every
// span (flatters any compression). varied: 5 services with 9 resource
// attributes each (a trace's spans spread over them), span names per
// operation, and per-span values that differ as in real traffic: URL paths
// with ids, client addresses, request/user ids, user agents, peer pods, sizes.
func benchWorkloadOf(seed uint64, varied bool) []ptrace.Traces {
	rng := rand.New(rand.NewPCG(seed, 7))
	now := time.Now()
	var out []ptrace.Traces
	for b := 0; b < benchTraces/benchBatchTraces; b++ {
		td := ptrace.NewTraces()
		var spanSlices []ptrace.SpanSlice
		if varied {
			for svc := range benchServices {
				rs := td.ResourceSpans().AppendEmpty()
				ra := rs.Resource().Attributes()
				ra.PutStr("service.name", benchServices[svc])
				ra.PutStr("service.version", fmt.Sprintf("1.%d.%d", svc+3, seed%7))
				ra.PutStr("service.namespace", "shop")
				ra.PutStr("deployment.environment.name", "production")
				ra.PutStr("host.name", fmt.Sprintf("ip-10-0-%d-%d.ec2.internal", svc, rng.IntN(250)))
				ra.PutStr("k8s.namespace.name", "shop-prod")
				ra.PutStr("k8s.pod.name", fmt.Sprintf("%s-7f9c%d-%05x", benchServices[svc], svc, rng.IntN(1<<20)))
				ra.PutStr("telemetry.sdk.language", "go")
				ra.PutStr("telemetry.sdk.version", "1.38.0")
				ss := rs.ScopeSpans().AppendEmpty()
				ss.Scope().SetName("go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp")
				ss.Scope().SetVersion("0.63.0")
				spanSlices = append(spanSlices, ss.Spans())
			}
		} else {
			rs := td.ResourceSpans().AppendEmpty()
			rs.Resource().Attributes().PutStr("service.name", "shop")
			rs.Resource().Attributes().PutStr("host.name", "node-1")
			spanSlices = append(spanSlices, rs.ScopeSpans().AppendEmpty().Spans())
		}
		for range benchBatchTraces {
			var tid pcommon.TraceID
			for i := range tid {
				tid[i] = byte(rng.Uint32())
			}
			route := benchRoutes[rng.IntN(len(benchRoutes))]
			isErr := rng.Float64() < 0.01
			synthetic := rng.Float64() < 0.005
			slow := rng.Float64() < 0.01
			client := fmt.Sprintf("10.%d.%d.%d", rng.IntN(256), rng.IntN(256), rng.IntN(256))
			user := fmt.Sprintf("u-%08x", rng.Uint32())
			ua := benchUserAgents[rng.IntN(len(benchUserAgents))]
			for s := range benchSpansPerTrace {
				spans := spanSlices[0]
				if varied {
					spans = spanSlices[s%len(spanSlices)]
				}
				span := spans.AppendEmpty()
				span.SetTraceID(tid)
				span.SetSpanID(pcommon.SpanID{byte(s), byte(rng.Uint32()), 1, 2, 3, 4, 5, 6})
				if s > 0 {
					span.SetParentSpanID(pcommon.SpanID{0, 1})
				}
				span.SetName("GET " + route)
				span.SetKind(ptrace.SpanKindServer)
				dur := time.Duration(5+rng.IntN(50)) * time.Millisecond
				if slow && s == 0 {
					dur = 2 * time.Second
				}
				span.SetStartTimestamp(pcommon.NewTimestampFromTime(now.Add(-dur)))
				span.SetEndTimestamp(pcommon.NewTimestampFromTime(now))
				a := span.Attributes()
				a.PutStr("http.route", route)
				a.PutStr("http.request.method", "GET")
				a.PutInt("http.response.status_code", 200)
				if varied {
					if s > 0 {
						span.SetName(benchOperations[(s+rng.IntN(3))%len(benchOperations)])
						span.SetKind(ptrace.SpanKind(1 + rng.IntN(5)))
					}
					a.PutStr("server.address", fmt.Sprintf("%s-%x.shop-prod.svc", benchServices[rng.IntN(len(benchServices))], rng.IntN(1<<16)))
					a.PutStr("url.path", strings.ReplaceAll(route, "{id}", strconv.Itoa(rng.IntN(1_000_000))))
					a.PutStr("url.query", fmt.Sprintf("page=%d&session=%016x", rng.IntN(50), rng.Uint64()))
					a.PutStr("user_agent.original", ua)
					a.PutStr("client.address", client)
					a.PutInt("client.port", int64(1024+rng.IntN(60000)))
					a.PutStr("enduser.id", user)
					a.PutStr("request.id", fmt.Sprintf("%016x%016x", rng.Uint64(), rng.Uint64()))
					a.PutInt("http.response.body.size", int64(rng.IntN(200_000)))
					a.PutInt("thread.id", int64(rng.IntN(64)))
				} else {
					a.PutStr("server.address", "shop.internal")
					a.PutStr("url.path", route)
					a.PutStr("user_agent.original", "Mozilla/5.0 (X11; Linux x86_64)")
					a.PutStr("network.protocol.version", "1.1")
					a.PutInt("thread.id", int64(rng.IntN(64)))
				}
				if synthetic {
					a.PutStr("synthetic", "true")
				}
				if isErr && s == benchSpansPerTrace-1 {
					span.Status().SetCode(ptrace.StatusCodeError)
				}
			}
		}
		out = append(out, td)
	}
	return out
}

var (
	benchServices   = []string{"frontend", "checkout", "cart", "catalog", "payment"}
	benchOperations = []string{"SELECT shop.orders", "redis GET", "POST /internal/price", "kafka publish orders", "GET /internal/stock", "grpc catalog.Lookup"}
	benchUserAgents = func() []string {
		var uas []string
		for i := range 40 {
			uas = append(uas, fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.%d.%d Safari/537.36", 120+i%20, 6000+i*37, i*11))
		}
		return uas
	}()
)

// benchWorkloads: the two synthetic inputs, then http, shaped like the
// end-to-end benchmark's traffic (see httpWorkload), which the processors run
// in their default configuration (for tail_policy: the default rules and the
// default synthetic user-agent patterns) so that the unit benchmark measures
// what a user gets.
var benchWorkloads = []struct {
	name     string
	generate func(seed uint64) []ptrace.Traces
	defaults bool
}{
	{"repetitive", func(seed uint64) []ptrace.Traces { return benchWorkloadOf(seed, false) }, false},
	{"varied", func(seed uint64) []ptrace.Traces { return benchWorkloadOf(seed, true) }, false},
	{"http", httpWorkload, true},
}

type benchPeer struct {
	name string
	make func(b *testing.B, defaults bool) processor.Traces
}

// benchPeers: tail_policy in its default configuration (compact buffering),
// the same with references only (memory.compact_percent: 100), tail_sampling.
var benchPeers = []benchPeer{
	{"tail_policy", newBenchTailPolicy},
	{"tail_policy_references", newBenchTailPolicyReferences},
	{"tail_policy_wal", newBenchTailPolicyWAL},
	{"tail_sampling", newBenchTailSampling},
}

// newBenchTailPolicy: the default buffering (compact_percent 0: every span compact).
func newBenchTailPolicy(b *testing.B, defaults bool) processor.Traces {
	return newBenchTailPolicyWith(b, createDefaultConfig().(*Config).Memory.CompactPercent, defaults)
}

// newBenchTailPolicyReferences keeps every span as a reference into the request.
func newBenchTailPolicyReferences(b *testing.B, defaults bool) processor.Traces {
	return newBenchTailPolicyWith(b, 100, defaults)
}

func newBenchTailPolicyWith(b *testing.B, compactPercent int, defaults bool) processor.Traces {
	cfg := newBenchConfig(compactPercent)
	if defaults {
		cfg = newBenchDefaultConfig(compactPercent)
	}
	f := NewFactory()
	p, err := f.CreateTraces(context.Background(), processortest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop())
	require.NoError(b, err)
	return p
}

// newBenchConfig: rules equivalent to the tail_sampling policies below.
func newBenchConfig(compactPercent int) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.Memory.CompactPercent = compactPercent
	cfg.Rules = []RuleConfig{
		{Name: "errors", Probability: probability(1), Error: true},
		{Name: "slow", Probability: probability(1), LatencyOver: time.Second},
		{Name: "synthetic", Probability: probability(1), Synthetic: true},
		{Name: "high_value", Probability: probability(0.5), Routes: []string{"/api/checkout", "/api/payment", "/api/auth"}},
		{Name: "default", Probability: probability(0.05)},
	}
	cfg.Synthetic.UserAgentPatterns = nil
	cfg.Synthetic.AttributeKeys = []string{"synthetic"}
	cfg.DecisionCache.DroppedTraces = 100_000
	cfg.DecisionCache.KeptTraces = 10_000
	cfg.Baseline.LogInterval = 0
	return cfg
}

// newBenchDefaultConfig: the default configuration, with the decision caches
// and log summary of newBenchConfig (creating a processor per op must not be
// dominated by allocating million-entry caches).
func newBenchDefaultConfig(compactPercent int) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.Memory.CompactPercent = compactPercent
	cfg.DecisionCache.DroppedTraces = 100_000
	cfg.DecisionCache.KeptTraces = 10_000
	cfg.Baseline.LogInterval = 0
	return cfg
}

func newBenchTailSampling(b *testing.B, _ bool) processor.Traces {
	f := tailsamplingprocessor.NewFactory()
	cfg := f.CreateDefaultConfig()
	require.NoError(b, confmap.NewFromStringMap(map[string]any{
		"decision_wait": "30s",
		"num_traces":    100_000,
		"policies": []any{
			map[string]any{"name": "errors", "type": "status_code", "status_code": map[string]any{"status_codes": []any{"ERROR"}}},
			map[string]any{"name": "slow", "type": "latency", "latency": map[string]any{"threshold_ms": 1000}},
			map[string]any{"name": "synthetic", "type": "string_attribute", "string_attribute": map[string]any{"key": "synthetic", "values": []any{"true"}}},
			map[string]any{"name": "high_value", "type": "and", "and": map[string]any{"and_sub_policy": []any{
				map[string]any{"name": "route", "type": "string_attribute", "string_attribute": map[string]any{"key": "http.route", "values": []any{"/api/checkout", "/api/payment", "/api/auth"}}},
				map[string]any{"name": "half", "type": "probabilistic", "probabilistic": map[string]any{"sampling_percentage": 50}},
			}}},
			map[string]any{"name": "default", "type": "probabilistic", "probabilistic": map[string]any{"sampling_percentage": 5}},
		},
	}).Unmarshal(cfg))
	p, err := f.CreateTraces(context.Background(), processortest.NewNopSettings(f.Type()), cfg, consumertest.NewNop())
	require.NoError(b, err)
	return p
}

// BenchmarkThroughput: one op = start, ingest 10,000 spans (500 traces), shut
// down, which decides every buffered trace (kept ones decoded and forwarded).
// Run with -cpu=1 for spans/s per core.
func BenchmarkThroughput(b *testing.B) {
	for _, w := range benchWorkloads {
		for _, peer := range benchPeers {
			b.Run(w.name+"/"+peer.name, func(b *testing.B) {
				b.ReportAllocs()
				spans := 0
				var elapsed, cpu time.Duration
				for i := 0; b.Loop(); i++ {
					b.StopTimer()
					input := w.generate(uint64(i))
					p := peer.make(b, w.defaults)
					runtime.GC()
					b.StartTimer()
					start, cpuStart := time.Now(), processCPU()
					require.NoError(b, p.Start(context.Background(), nil))
					for _, td := range input {
						spans += td.SpanCount()
						require.NoError(b, p.ConsumeTraces(context.Background(), td))
					}
					require.NoError(b, p.Shutdown(context.Background()))
					elapsed += time.Since(start)
					cpu += processCPU() - cpuStart
				}
				b.ReportMetric(float64(spans)/elapsed.Seconds(), "spans/s")
				// CPU time of the whole process (GC included): spans per core-second,
				// robust to other load on a shared machine, unlike wall time.
				b.ReportMetric(float64(spans)/cpu.Seconds(), "spans/cpu-s")
			})
		}
	}
}

// BenchmarkHeapPerBufferedSpan: live heap retained per buffered span, measured
// after GC with everything still waiting for its decision (the received
// requests included: they are what a processor that references them holds).
// For tail_policy also the bytes its memory accounting counts per span.
func BenchmarkHeapPerBufferedSpan(b *testing.B) {
	for _, w := range benchWorkloads {
		for _, peer := range benchPeers {
			b.Run(w.name+"/"+peer.name, func(b *testing.B) {
				var perSpan, accounted float64
				for i := 0; b.Loop(); i++ {
					var before, after runtime.MemStats
					runtime.GC()
					runtime.ReadMemStats(&before)
					p := peer.make(b, w.defaults)
					require.NoError(b, p.Start(context.Background(), nil))
					spans := 0
					for r := range 10 {
						for _, td := range w.generate(uint64(i*10 + r)) {
							spans += td.SpanCount()
							require.NoError(b, p.ConsumeTraces(context.Background(), td))
						}
					}
					// Let the workers ingest what was queued; nothing is decided
					// before decision_delay/decision_wait in this window.
					time.Sleep(500 * time.Millisecond)
					if tp, ok := p.(*tailPolicy); ok {
						// On a loaded machine the workers may still be ingesting:
						// wait until the queues are empty and the accounting settled.
						for range 50 {
							prev := tp.bufferedBytes()
							time.Sleep(100 * time.Millisecond)
							queued := 0
							for _, in := range tp.inputs {
								queued += len(in)
							}
							if queued == 0 && tp.bufferedBytes() == prev {
								break
							}
						}
					}
					runtime.GC()
					runtime.ReadMemStats(&after)
					perSpan = float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(spans)
					if tp, ok := p.(*tailPolicy); ok {
						accounted = float64(tp.bufferedBytes()) / float64(spans)
					}
					runtime.KeepAlive(p)
					require.NoError(b, p.Shutdown(context.Background()))
				}
				b.ReportMetric(perSpan, "heap-B/span")
				if accounted > 0 {
					b.ReportMetric(accounted, "accounted-B/span")
				}
			})
		}
	}
}

// processCPU is the user + system CPU time the process has used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// The realistic workload, shaped like the end-to-end benchmark's HTTP traffic
// (OTel semantic conventions): 5 spans a trace — a SERVER root with
// http.request.method, http.route, url.full, url.scheme, user_agent.original
// (an ordinary browser), client.address, server.address, server.port,
// network.protocol.version and the status code; then an INTERNAL handler span,
// a database CLIENT span with db.query.text, an HTTP CLIENT span to another
// service and a cache CLIENT span. About 10% of traces carry personal data
// (an e-mail in url.full and enduser.id, a card number in db.query.text), 1%
// errors, 1% slow roots, 0.5% synthetic monitors recognised by user agent.
const httpSpansPerTrace = 5

var (
	httpBrowsers = []string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
		"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 Mobile Safari/537.36",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.70",
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:132.0) Gecko/20100101 Firefox/132.0",
	}
	httpMonitors = []string{
		"Mozilla/5.0 (compatible; Pingdom.com_bot_version_1.4_(http://www.pingdom.com/))",
		"Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
		"Datadog/Synthetics",
	}
)

// httpWorkload builds requests of 200 traces (1 000 spans) each, 10 000 spans
// in all, like the other workloads.
func httpWorkload(seed uint64) []ptrace.Traces {
	rng := rand.New(rand.NewPCG(seed, 11))
	now := time.Now()
	const traces, perRequest = benchTraces * benchSpansPerTrace / httpSpansPerTrace, 200
	var out []ptrace.Traces
	for range traces / perRequest {
		td := ptrace.NewTraces()
		scopes := make([]ptrace.SpanSlice, len(benchServices))
		for i, svc := range benchServices {
			rs := td.ResourceSpans().AppendEmpty()
			ra := rs.Resource().Attributes()
			ra.PutStr("service.name", svc)
			ra.PutStr("service.version", fmt.Sprintf("2.%d.0", i+1))
			ra.PutStr("deployment.environment.name", "production")
			ra.PutStr("host.name", fmt.Sprintf("ip-10-0-%d-%d.ec2.internal", i, rng.IntN(250)))
			ra.PutStr("k8s.pod.name", fmt.Sprintf("%s-6d4f%d-%05x", svc, i, rng.IntN(1<<20)))
			ra.PutStr("telemetry.sdk.language", "go")
			ra.PutStr("telemetry.sdk.version", "1.38.0")
			ss := rs.ScopeSpans().AppendEmpty()
			ss.Scope().SetName("go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp")
			ss.Scope().SetVersion("0.63.0")
			scopes[i] = ss.Spans()
		}
		for range perRequest {
			appendHTTPTrace(rng, now, scopes)
		}
		out = append(out, td)
	}
	return out
}

// appendHTTPTrace appends one trace of httpSpansPerTrace spans.
func appendHTTPTrace(rng *rand.Rand, now time.Time, scopes []ptrace.SpanSlice) {
	var tid pcommon.TraceID
	for i := range tid {
		tid[i] = byte(rng.Uint32())
	}
	svc := rng.IntN(len(scopes))
	spans := scopes[svc]
	route := benchRoutes[rng.IntN(len(benchRoutes))]
	personal := rng.Float64() < 0.10
	dur := time.Duration(8+rng.IntN(60)) * time.Millisecond
	if rng.Float64() < 0.01 {
		dur = 2 * time.Second
	}
	status := int64(200)
	if rng.Float64() < 0.01 {
		status = 503
	}
	ua := httpBrowsers[rng.IntN(len(httpBrowsers))]
	if rng.Float64() < 0.005 {
		ua = httpMonitors[rng.IntN(len(httpMonitors))]
	}
	root := pcommon.SpanID{1, byte(rng.Uint32()), byte(rng.Uint32()), byte(rng.Uint32()), 4, 5, 6, 7}
	start := now.Add(-dur)
	newSpan := func(n byte, parent pcommon.SpanID, name string, kind ptrace.SpanKind, d time.Duration) ptrace.Span {
		s := spans.AppendEmpty()
		s.SetTraceID(tid)
		id := root
		id[0] = n
		s.SetSpanID(id)
		s.SetParentSpanID(parent)
		s.SetName(name)
		s.SetKind(kind)
		s.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
		s.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(d)))
		return s
	}

	path := strings.ReplaceAll(route, "{id}", strconv.Itoa(rng.IntN(1_000_000)))
	query := fmt.Sprintf("page=%d&session=%016x", rng.IntN(20), rng.Uint64())
	if personal {
		query += fmt.Sprintf("&email=jane.doe%d@example.com", rng.IntN(10_000))
	}
	s := newSpan(1, pcommon.SpanID{}, "GET "+route, ptrace.SpanKindServer, dur)
	a := s.Attributes()
	a.PutStr("http.request.method", "GET")
	a.PutStr("http.route", route)
	a.PutStr("url.full", "https://shop.example.com"+path+"?"+query)
	a.PutStr("url.scheme", "https")
	a.PutStr("user_agent.original", ua)
	a.PutStr("client.address", fmt.Sprintf("203.0.%d.%d", rng.IntN(256), rng.IntN(256)))
	a.PutStr("server.address", "shop.example.com")
	a.PutInt("server.port", 443)
	a.PutStr("network.protocol.version", "2")
	a.PutInt("http.response.status_code", status)
	if personal {
		a.PutStr("enduser.id", fmt.Sprintf("jane.doe%d@example.com", rng.IntN(10_000)))
	}
	if status >= 500 {
		s.Status().SetCode(ptrace.StatusCodeError)
	}

	handler := newSpan(2, s.SpanID(), "handle "+route, ptrace.SpanKindInternal, dur*9/10)
	handler.Attributes().PutStr("code.function.name", "main.handle")

	db := newSpan(3, handler.SpanID(), "SELECT shop.orders", ptrace.SpanKindClient, dur/4)
	da := db.Attributes()
	da.PutStr("db.system.name", "postgresql")
	da.PutStr("db.namespace", "shop")
	da.PutStr("db.operation.name", "SELECT")
	q := fmt.Sprintf("SELECT id, total FROM orders WHERE customer_id = %d", rng.IntN(1_000_000))
	if personal {
		q = "SELECT id FROM payments WHERE card = '4111111111111111'"
	}
	da.PutStr("db.query.text", q)
	da.PutStr("server.address", "orders-db.shop-prod.svc")
	da.PutInt("server.port", 5432)

	call := newSpan(4, handler.SpanID(), "GET", ptrace.SpanKindClient, dur/3)
	ca := call.Attributes()
	ca.PutStr("http.request.method", "GET")
	ca.PutStr("url.full", fmt.Sprintf("http://catalog.shop-prod.svc:8080/internal/stock/%d", rng.IntN(100_000)))
	ca.PutStr("server.address", "catalog.shop-prod.svc")
	ca.PutInt("server.port", 8080)
	ca.PutStr("network.protocol.version", "1.1")
	ca.PutInt("http.response.status_code", 200)

	cache := newSpan(5, handler.SpanID(), "GET", ptrace.SpanKindClient, time.Millisecond)
	ka := cache.Attributes()
	ka.PutStr("db.system.name", "redis")
	ka.PutStr("db.operation.name", "GET")
	ka.PutStr("server.address", "cache.shop-prod.svc")
}
