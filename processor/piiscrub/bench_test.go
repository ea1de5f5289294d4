package piiscrub

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/processor/redactionprocessor"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/otelcol-warden/otelcol-warden/processor/piiscrub/internal/metadata"
)

// Benchmarks on realistic records. Each signal runs pii_scrub and contrib's redaction processor (v0.161.0,
// allow_all_keys, blocked_values with regexes equivalent to our detectors, hmac-sha256) through the same
// consumer path on the same data; MB/s (b.SetBytes) counts the text in the records (attribute keys and values,
// names, bodies), so benchstat shows both throughputs. `make bench` runs them; README.md records one run of
// go test -run '^$' -bench BenchmarkScrub -benchmem -count 3 ./processor/piiscrub/

// redactionBlockedValues are RE2 equivalents of the built-in detectors, without validation.
var redactionBlockedValues = []string{
	`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`,                             // email
	`\b(?:\d[ -]?){12,18}\d\b`,                                                   // card
	`\b\d{3}-\d{2}-\d{4}\b`,                                                      // SSN
	`\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b`,      // IPv4
	`\b(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}\b|\b(?:[0-9A-Fa-f]{1,4}:){1,7}:`, // IPv6
	`\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b`,                // IBAN
	`\+\d{1,3}[ .-]?\(?\d{1,4}\)?(?:[ .-]?\d{2,4}){2,4}`,                         // phone
	`eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*`,                          // JWT
	`(?i)(?:bearer|basic) [A-Za-z0-9._~+/=-]{8,}`,                                // Authorization
}

func redactionConfig() *redactionprocessor.Config {
	cfg := redactionprocessor.NewFactory().CreateDefaultConfig().(*redactionprocessor.Config)
	cfg.AllowAllKeys = true
	cfg.BlockedValues = redactionBlockedValues
	cfg.HashFunction = redactionprocessor.HMACSHA256
	cfg.HMACKey = configopaque.String(strings.Repeat("k", 32))
	cfg.Summary = "silent"
	return cfg
}

// Realistic text without personal data: HTTP server spans, loghub-style log lines, request metrics.
var benchLogLines = []string{
	"081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38865049064139660 terminating",
	"081109 204005 35 INFO dfs.FSNamesystem: BLOCK* NameSystem.addStoredBlock: blockMap updated: datanode-7:50010 is added to blk_7128370237687728475 size 67108864",
	"2026-03-01 12:00:01,123 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: Created MRAppMaster for application appattempt_1445144423722_0020_000001",
	"nova.osapi_compute.wsgi.server [req-3a0f9c2e-7a6b-4a41-9d8e-2f1b6c0d9e11 113d3a99c3da401fbd62cc2caa5b96d2 54fadb412c4e40cdbaed9335e4c35a9e - - -] \"GET /v2/54fadb412c4e40cdbaed9335e4c35a9e/servers/detail HTTP/1.1\" status: 200 len: 1893 time: 0.2477829",
	"[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties",
	"level=info ts=2026-03-01T12:00:00.123Z caller=compact.go:460 component=tsdb msg=\"write block\" mint=1772366400000 maxt=1772373600000 duration=1.234s",
	"Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass; user unknown",
	"upstream request timeout after 30000ms calling inventory-7d9f8c6b5-x2x9z:8080 (attempt 3 of 5), circuit breaker state=half-open",
}

func putSpanAttrs(m pcommon.Map, i int) {
	m.PutStr("http.request.method", "GET")
	m.PutStr("url.full", fmt.Sprintf("https://shop.example.com/api/v1/orders/%d?expand=items&page=2", 81723+i))
	m.PutStr("url.path", fmt.Sprintf("/api/v1/orders/%d", 81723+i))
	m.PutStr("server.address", "shop.example.com")
	m.PutStr("http.route", "/api/v1/orders/{id}")
	m.PutStr("user_agent.original", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36")
	m.PutInt("http.response.status_code", 200)
	m.PutStr("db.query.text", "SELECT id, total, currency FROM orders WHERE id = $1 AND tenant_id = $2 ORDER BY created_at DESC LIMIT 10")
	m.PutStr("order.id", "ord_7d9f8c6b5x2x9z")
	m.PutStr("request.uuid", "123e4567-e89b-12d3-a456-426614174000")
	m.PutStr("k8s.pod.name", "checkout-7d9f8c6b5-x2x9z")
	m.PutStr("feature.flags", "new-checkout,fast-search,dark-mode")
	m.PutStr("app.build", "checkout@1.22.3+sha.4bf92f35")
}

func benchTraces(n int) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "checkout")
	rs.Resource().Attributes().PutStr("service.version", "1.22.3")
	rs.Resource().Attributes().PutStr("k8s.namespace.name", "shop")
	rs.Resource().Attributes().PutStr("host.name", "node-pool-a-3f9c2e")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp")
	for i := 0; i < n; i++ {
		sp := ss.Spans().AppendEmpty()
		sp.SetName("GET /api/v1/orders/{id}")
		sp.SetStartTimestamp(pcommon.Timestamp(1772366400000000000 + int64(i)))
		putSpanAttrs(sp.Attributes(), i)
		if i%4 == 0 {
			ev := sp.Events().AppendEmpty()
			ev.SetName("exception")
			ev.Attributes().PutStr("exception.type", "context.DeadlineExceeded")
			ev.Attributes().PutStr("exception.message", benchLogLines[7])
			ev.Attributes().PutStr("exception.stacktrace", "goroutine 1 [running]:\nmain.handler(0xc000123456)\n\t/app/handler.go:42 +0x1d\nnet/http.HandlerFunc.ServeHTTP(...)\n\t/usr/local/go/src/net/http/server.go:2171")
			sp.Status().SetMessage("upstream timeout")
		}
	}
	return td
}

func benchLogs(n int) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", "hdfs")
	rl.Resource().Attributes().PutStr("k8s.pod.name", "datanode-7")
	sl := rl.ScopeLogs().AppendEmpty()
	for i := 0; i < n; i++ {
		lr := sl.LogRecords().AppendEmpty()
		lr.SetTimestamp(pcommon.Timestamp(1772366400000000000 + int64(i)))
		lr.Body().SetStr(benchLogLines[i%len(benchLogLines)])
		lr.Attributes().PutStr("log.file.path", "/var/log/hadoop/hdfs/hadoop-hdfs-datanode.log")
		lr.Attributes().PutStr("logger", "org.apache.hadoop.hdfs.server.datanode.DataNode")
		lr.Attributes().PutStr("thread", "PacketResponder-1")
	}
	return ld
}

func benchMetrics(n int) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "checkout")
	rm.Resource().Attributes().PutStr("k8s.pod.name", "checkout-7d9f8c6b5-x2x9z")
	sm := rm.ScopeMetrics().AppendEmpty()
	sum := sm.Metrics().AppendEmpty()
	sum.SetName("http.server.request.count")
	h := sm.Metrics().AppendEmpty()
	h.SetName("http.server.request.duration")
	sdps := sum.SetEmptySum().DataPoints()
	hdps := h.SetEmptyHistogram().DataPoints()
	routes := []string{"/api/v1/orders/{id}", "/api/v1/cart", "/api/v1/search", "/healthz"}
	for i := 0; i < n/2; i++ {
		for _, a := range []pcommon.Map{sdps.AppendEmpty().Attributes(), hdps.AppendEmpty().Attributes()} {
			a.PutStr("http.route", routes[i%len(routes)])
			a.PutStr("http.request.method", "GET")
			a.PutInt("http.response.status_code", 200)
			a.PutStr("server.address", "shop.example.com")
			a.PutStr("url.scheme", "https")
			a.PutStr("network.protocol.version", "1.1")
			a.PutStr("app.tenant", "tenant-7d9f8c6b5")
		}
	}
	return md
}

// textBytes is the number of bytes of text in the fields pii_scrub walks.
func textBytesMap(m pcommon.Map) int {
	n := 0
	for k, v := range m.All() {
		n += len(k)
		if v.Type() == pcommon.ValueTypeStr {
			n += len(v.Str())
		}
	}
	return n
}

func tracesBytes(td ptrace.Traces) int {
	n := 0
	for _, rs := range td.ResourceSpans().All() {
		n += textBytesMap(rs.Resource().Attributes())
		for _, ss := range rs.ScopeSpans().All() {
			for _, sp := range ss.Spans().All() {
				n += len(sp.Name()) + len(sp.Status().Message()) + textBytesMap(sp.Attributes())
				for _, ev := range sp.Events().All() {
					n += len(ev.Name()) + textBytesMap(ev.Attributes())
				}
			}
		}
	}
	return n
}

func logsBytes(ld plog.Logs) int {
	n := 0
	for _, rl := range ld.ResourceLogs().All() {
		n += textBytesMap(rl.Resource().Attributes())
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				n += len(lr.Body().Str()) + textBytesMap(lr.Attributes())
			}
		}
	}
	return n
}

func metricsBytes(md pmetric.Metrics) int {
	n := 0
	for _, rm := range md.ResourceMetrics().All() {
		n += textBytesMap(rm.Resource().Attributes())
		for _, sm := range rm.ScopeMetrics().All() {
			for _, m := range sm.Metrics().All() {
				switch m.Type() {
				case pmetric.MetricTypeSum:
					for _, dp := range m.Sum().DataPoints().All() {
						n += textBytesMap(dp.Attributes())
					}
				case pmetric.MetricTypeHistogram:
					for _, dp := range m.Histogram().DataPoints().All() {
						n += textBytesMap(dp.Attributes())
					}
				}
			}
		}
	}
	return n
}

type benchProcessors struct {
	traces  func() (processor.Traces, error)
	logs    func() (processor.Logs, error)
	metrics func() (processor.Metrics, error)
}

func processorsFor(b testing.TB, which string) benchProcessors {
	ctx := context.Background()
	var f processor.Factory
	var cfg component.Config
	var typ component.Type
	if which == "redaction" {
		f = redactionprocessor.NewFactory()
		cfg = redactionConfig()
		typ = f.Type()
	} else {
		f = NewFactory()
		c := testConfig(b)
		cfg = c
		typ = metadata.Type
	}
	set := processortest.NewNopSettings(typ)
	return benchProcessors{
		traces:  func() (processor.Traces, error) { return f.CreateTraces(ctx, set, cfg, consumertest.NewNop()) },
		logs:    func() (processor.Logs, error) { return f.CreateLogs(ctx, set, cfg, consumertest.NewNop()) },
		metrics: func() (processor.Metrics, error) { return f.CreateMetrics(ctx, set, cfg, consumertest.NewNop()) },
	}
}

const benchRecords = 100

// BenchmarkScrub/<signal>/<pii_scrub|redaction>: both processors on the same clean, realistic batch of 100
// records, through the same consumer path. pii_scrub changes nothing on this path; redaction may rewrite its
// false positives, after which the batch holds its own placeholders (as in a real pipeline, where a batch passes
// once), so the same batch is reused.
func BenchmarkScrub(b *testing.B) {
	for _, sig := range []string{"traces", "logs", "metrics"} {
		for _, which := range []string{"pii_scrub", "redaction"} {
			b.Run(sig+"/"+which, func(b *testing.B) { runSignalBench(b, sig, which) })
		}
	}
}

func runSignalBench(b *testing.B, sig, which string) {
	ctx := context.Background()
	ps := processorsFor(b, which)
	switch sig {
	case "traces":
		p, err := ps.traces()
		require.NoError(b, err)
		td := benchTraces(benchRecords)
		b.SetBytes(int64(tracesBytes(td)))
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			if err := p.ConsumeTraces(ctx, td); err != nil {
				b.Fatal(err)
			}
		}
	case "logs":
		p, err := ps.logs()
		require.NoError(b, err)
		ld := benchLogs(benchRecords)
		b.SetBytes(int64(logsBytes(ld)))
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			if err := p.ConsumeLogs(ctx, ld); err != nil {
				b.Fatal(err)
			}
		}
	case "metrics":
		p, err := ps.metrics()
		require.NoError(b, err)
		md := benchMetrics(benchRecords)
		b.SetBytes(int64(metricsBytes(md)))
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			if err := p.ConsumeMetrics(ctx, md); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkNoMatchPath measures pii_scrub's own walk (without the processorhelper wrapper) on clean records:
// the target is 0 allocations per batch.
func BenchmarkNoMatchPath(b *testing.B) {
	p := newTestProcessor(b, testConfig(b))
	ctx := context.Background()
	b.Run("traces", func(b *testing.B) {
		td := benchTraces(benchRecords)
		b.SetBytes(int64(tracesBytes(td)))
		b.ReportAllocs()
		for b.Loop() {
			_, _ = p.processTraces(ctx, td)
		}
	})
	b.Run("logs", func(b *testing.B) {
		ld := benchLogs(benchRecords)
		b.SetBytes(int64(logsBytes(ld)))
		b.ReportAllocs()
		for b.Loop() {
			_, _ = p.processLogs(ctx, ld)
		}
	})
	b.Run("metrics", func(b *testing.B) {
		md := benchMetrics(benchRecords)
		b.SetBytes(int64(metricsBytes(md)))
		b.ReportAllocs()
		for b.Loop() {
			_, _ = p.processMetrics(ctx, md)
		}
	})
	b.Run("scanner", func(b *testing.B) {
		text := strings.Join(benchLogLines, "\n")
		st := p.getState(sigLogs)
		b.SetBytes(int64(len(text)))
		b.ReportAllocs()
		for b.Loop() {
			_, _ = st.scrubText(text)
		}
	})
}

// BenchmarkWithPII: records where every span carries personal data (e-mail, IP, card, URL secret, JWT); the
// batch is copied each iteration (outside the timer) because it is rewritten.
func BenchmarkWithPII(b *testing.B) {
	p := newTestProcessor(b, testConfig(b))
	ctx := context.Background()
	src := benchTraces(benchRecords)
	for i, sp := range src.ResourceSpans().At(0).ScopeSpans().At(0).Spans().All() {
		sp.Attributes().PutStr("enduser.contact", fmt.Sprintf("user%d@example.com", i))
		sp.Attributes().PutStr("client.address", fmt.Sprintf("203.0.113.%d", i%250+1))
		sp.Attributes().PutStr("url.full", "https://shop.example.com/pay?card=4111111111111111&token=abc123&page=2")
		sp.Attributes().PutStr("note", "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U")
	}
	b.SetBytes(int64(tracesBytes(src)))
	b.ReportAllocs()
	td := ptrace.NewTraces()
	for b.Loop() {
		b.StopTimer()
		src.CopyTo(td)
		b.StartTimer()
		_, _ = p.processTraces(ctx, td)
	}
}

// BenchmarkPathological: the scanner's speed on each pathological shape, 1 MiB values, in ns/byte (ns/op divided
// by the value size; b.SetBytes gives MB/s too).
func BenchmarkPathological(b *testing.B) {
	p := newTestProcessor(b, testConfig(b))
	for _, unit := range []string{"9", "1 ", "4111 ", "a@", "x@y.", "::", "%2", "/?%", "+1 ", "(12) 1 ", "eyJa.", "Bearer ", "DE89 ", "pii:", "phone 1 "} {
		in := pathological(unit, 1<<20)
		b.Run(fmt.Sprintf("%q", unit), func(b *testing.B) {
			st := p.getState(sigLogs)
			defer p.pool.Put(st)
			st.loc = locLogBody
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			for b.Loop() {
				_, _ = st.scrubText(in)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(in)), "ns/byte")
		})
	}
}

// pathological returns unit repeated to size bytes.
func pathological(unit string, size int) string {
	return strings.Repeat(unit, size/len(unit)+1)[:size]
}
