package logreduce

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/otelcol-warden/otelcol-warden/processor/logreduce/drain"
	"github.com/otelcol-warden/otelcol-warden/processor/logreduce/internal/metadata"
)

// realisticMessages are 20 templates as services write them (access logs, cache and database
// messages, retries, JSON-ish key=value lines, a stack-trace head), with varying values.
var realisticMessages = []func(r *rand.Rand) string{
	func(r *rand.Rand) string { return fmt.Sprintf("cache miss for key product:%d", r.IntN(1e6)) },
	func(r *rand.Rand) string {
		return fmt.Sprintf("GET /api/v1/orders/%d/items 200 %dms", r.IntN(1e7), r.IntN(900))
	},
	func(r *rand.Rand) string {
		return fmt.Sprintf("POST /api/v1/checkout 201 %dms user_agent.original=\"Mozilla/5.0 (X11; Linux x86_64)\"", r.IntN(900))
	},
	func(r *rand.Rand) string {
		return fmt.Sprintf("query SELECT * FROM orders WHERE id = $1 took %d.%03dms rows=%d", r.IntN(50), r.IntN(1000), r.IntN(20))
	},
	func(r *rand.Rand) string {
		return fmt.Sprintf("retrying connection to 10.%d.%d.%d:5432 attempt %d of 5", r.IntN(255), r.IntN(255), r.IntN(255), r.IntN(5))
	},
	func(r *rand.Rand) string {
		return fmt.Sprintf("trace_id=%032x span_id=%016x request completed", r.Uint64(), r.Uint64())
	},
	func(r *rand.Rand) string {
		return fmt.Sprintf("session %08x-%04x-4%03x-a%03x-%012x refreshed for tenant shop", r.Uint32(), r.IntN(65535), r.IntN(4095), r.IntN(4095), r.Uint64()&0xffffffffffff)
	},
	func(r *rand.Rand) string {
		return fmt.Sprintf("kafka consumer lag partition=%d offset=%d lag=%d", r.IntN(12), r.Uint32(), r.IntN(5000))
	},
	func(r *rand.Rand) string {
		return fmt.Sprintf("uploaded %d.%dMiB to s3://bucket/uploads/%d/part-%d", r.IntN(100), r.IntN(10), r.IntN(1e6), r.IntN(99))
	},
	func(r *rand.Rand) string {
		return fmt.Sprintf("GC pause %dus heap=%dMB goroutines=%d", r.IntN(5000), r.IntN(4000), r.IntN(3000))
	},
	func(r *rand.Rand) string {
		return fmt.Sprintf("rate limit exceeded for client 192.168.%d.%d, retry after %ds", r.IntN(255), r.IntN(255), r.IntN(60))
	},
	func(r *rand.Rand) string {
		return fmt.Sprintf("feature flag new-checkout evaluated to %v for user pii:email:k1:%026d", r.IntN(2) == 0, r.Uint64())
	},
	func(r *rand.Rand) string {
		return fmt.Sprintf("worker %d picked job %d from queue emails", r.IntN(32), r.IntN(1e8))
	},
	func(r *rand.Rand) string { return fmt.Sprintf("healthcheck ok in %dms", r.IntN(20)) },
	func(r *rand.Rand) string {
		return fmt.Sprintf("java.lang.IllegalStateException: order %d already shipped at com.shop.OrderService.ship(OrderService.java:%d)", r.IntN(1e6), r.IntN(400))
	},
	func(r *rand.Rand) string {
		return fmt.Sprintf("token refresh scheduled in %dm%ds", r.IntN(60), r.IntN(60))
	},
	func(r *rand.Rand) string {
		return fmt.Sprintf("inventory sync: %d items updated, %d skipped, %d failed", r.IntN(1000), r.IntN(100), r.IntN(5))
	},
	func(r *rand.Rand) string {
		return fmt.Sprintf("websocket connection %d closed by peer after %ds code=1006", r.IntN(1e6), r.IntN(3600))
	},
	func(r *rand.Rand) string {
		return fmt.Sprintf("price recalculated for sku SKU-%d in region eu-west-%d", r.IntN(1e5), 1+r.IntN(3))
	},
	func(r *rand.Rand) string {
		return fmt.Sprintf("email to %c%d@example.com queued (priority %d)", 'a'+rune(r.IntN(26)), r.IntN(1e4), r.IntN(3))
	},
}

const benchRecords = 1000

// benchBatches builds batches of 1000 records from 5 services (resource attributes as the k8s
// processor sets them), messages drawn from realisticMessages, 5% WARN, a third with map bodies.
func benchBatches(n int) []plog.Logs {
	rng := rand.New(rand.NewPCG(1, 2))
	out := make([]plog.Logs, n)
	for b := range out {
		ld := plog.NewLogs()
		for s := 0; s < 5; s++ {
			rl := ld.ResourceLogs().AppendEmpty()
			attrs := rl.Resource().Attributes()
			attrs.PutStr("service.name", fmt.Sprint("svc-", s))
			attrs.PutStr("k8s.namespace.name", "shop")
			attrs.PutStr("k8s.pod.name", fmt.Sprintf("svc-%d-7d9f8b6c5-x%d", s, s))
			sl := rl.ScopeLogs().AppendEmpty()
			sl.Scope().SetName("app")
			for i := 0; i < benchRecords/5; i++ {
				lr := sl.LogRecords().AppendEmpty()
				lr.SetTimestamp(pcommon.NewTimestampFromTime(t0.Add(time.Duration(i) * time.Millisecond)))
				lr.SetSeverityNumber(plog.SeverityNumberInfo)
				if rng.IntN(20) == 0 {
					lr.SetSeverityNumber(plog.SeverityNumberWarn)
				}
				msg := realisticMessages[rng.IntN(len(realisticMessages))](rng)
				if i%3 == 0 {
					m := lr.Body().SetEmptyMap()
					m.PutStr("level", "info")
					m.PutStr("message", msg)
				} else {
					lr.Body().SetStr(msg)
				}
				lr.Attributes().PutStr("code.function", "handle")
			}
		}
		out[b] = ld
	}
	return out
}

// BenchmarkReduce measures log_reduce in reduce mode on realistic messages. The batches are copied
// before each ConsumeLogs (the processor mutates them); the copy is outside the timer and the CPU
// time. cpu-ns/record is the process CPU time per record (every thread), records/cpu-s its inverse.
func BenchmarkReduce(b *testing.B) {
	for _, mode := range []string{ModeReduce, ModeAnnotate} {
		b.Run(mode, func(b *testing.B) {
			cfg := createDefaultConfig().(*Config)
			cfg.Mode = mode
			r, err := newReducer(cfg, processortest.NewNopSettings(metadata.Type), consumertest.NewNop())
			if err != nil {
				b.Fatal(err)
			}
			batches := benchBatches(16)
			ctx := context.Background()
			var cpu time.Duration
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				ld := plog.NewLogs()
				batches[i%len(batches)].CopyTo(ld)
				if i%60 == 59 {
					_ = r.endWindow(ctx, "window")
				}
				c0 := cpuTime()
				b.StartTimer()
				_ = r.ConsumeLogs(ctx, ld)
				b.StopTimer()
				cpu += cpuTime() - c0
				b.StartTimer()
			}
			b.StopTimer()
			perRecord := float64(cpu.Nanoseconds()) / float64(b.N*benchRecords)
			b.ReportMetric(perRecord, "cpu-ns/record")
			if perRecord > 0 {
				b.ReportMetric(1e9/perRecord, "records/cpu-s")
			}
		})
	}
}

// BenchmarkHeapPerTemplate measures the heap a template costs: distinct templates (each with its
// tree path and state, no pending summary) in one group, heap difference divided by their number.
func BenchmarkHeapPerTemplate(b *testing.B) {
	const n = 2000
	for i := 0; i < b.N; i++ {
		cfg := createDefaultConfig().(*Config)
		cfg.Limits.MaxTemplates, cfg.Limits.MaxTemplatesPerGroup = n, n
		r, err := newReducer(cfg, processortest.NewNopSettings(metadata.Type), consumertest.NewNop())
		if err != nil {
			b.Fatal(err)
		}
		g := r.templates.group("svc", "svc")
		var tk drain.Tokenizer
		msgs := make([][]string, n)
		for k := range msgs {
			// Realistic length (9 tokens, ~60 bytes); four distinct words make distinct templates.
			msgs[k] = tk.Tokenize(nil, fmt.Sprintf("%s %s picked job <*> from %s %s after <*> retries", word(k), word(k+1), word(k+2), word(k+3)))
		}
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for _, toks := range msgs {
			r.templates.mine(g, toks)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		if r.templates.total != n {
			b.Fatalf("%d templates, want %d", r.templates.total, n)
		}
		// alloc-B/template is an upper bound (everything allocated while mining, garbage included);
		// heap-B/template the live heap difference after a GC.
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "heap-B/template")
		b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/n, "alloc-B/template")
		runtime.KeepAlive(r)
	}
}

func word(k int) string {
	const letters = "abcdefghijklmnopqrstuvwxyz"
	b := []byte("q")
	for k > 0 || len(b) < 4 {
		b = append(b, letters[k%26])
		k /= 26
	}
	return string(b)
}
