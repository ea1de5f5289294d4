package piiscrub

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// The benchmark workload, shaped like the end-to-end one (issue 10): traces of five spans (an HTTP server span
// with the current semantic conventions: http.request.method, http.route, url.full, url.scheme,
// user_agent.original with an ordinary browser user agent, client.address, server.address; an HTTP client
// span, a database span with db.query.text, a messaging span, an internal span), and logs with JSON bodies,
// plain lines and stack traces. About 10% of the records carry personal data. A fixed seed keeps every run
// the same.

var browserUserAgents = []string{
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
	"Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 Mobile Safari/537.36",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.70",
}

var workloadRoutes = []struct{ route, path string }{
	{"/api/v1/orders/{id}", "/api/v1/orders/%d"},
	{"/api/v1/cart", "/api/v1/cart"},
	{"/api/v1/products/{sku}", "/api/v1/products/SKU-%d"},
	{"/api/v1/search", "/api/v1/search"},
	{"/checkout/confirm", "/checkout/confirm"},
}

// piiEvery: one record in piiEvery carries personal data.
const piiEvery = 10

type workload struct{ r *rand.Rand }

func newWorkload() *workload { return &workload{r: rand.New(rand.NewPCG(1, 2))} }

// workloadTraces returns traces of five spans each, n spans in all.
func workloadTraces(n int) ptrace.Traces {
	w := newWorkload()
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	ra := rs.Resource().Attributes()
	ra.PutStr("service.name", "checkout")
	ra.PutStr("service.version", "1.22.3")
	ra.PutStr("deployment.environment.name", "production")
	ra.PutStr("k8s.namespace.name", "shop")
	ra.PutStr("k8s.pod.name", "checkout-7d9f8c6b5-x2x9z")
	ra.PutStr("host.name", "node-pool-a-3f9c2e")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp")
	for i := 0; i < n; i++ {
		sp := ss.Spans().AppendEmpty()
		sp.SetStartTimestamp(pcommon.Timestamp(1772366400000000000 + int64(i)*1000))
		sp.SetEndTimestamp(sp.StartTimestamp() + 2500000)
		pii := w.r.IntN(piiEvery) == 0
		switch i % 5 {
		case 0:
			w.serverSpan(sp, i, pii)
		case 1:
			w.clientSpan(sp, pii)
		case 2:
			w.dbSpan(sp, i, pii)
		case 3:
			w.messagingSpan(sp, i, pii)
		default:
			sp.SetName("render confirmation")
			sp.Attributes().PutStr("code.function.name", "checkout.(*Handler).renderConfirmation")
			sp.Attributes().PutInt("app.items", int64(1+w.r.IntN(9)))
		}
	}
	return td
}

func (w *workload) serverSpan(sp ptrace.Span, i int, pii bool) {
	rt := workloadRoutes[w.r.IntN(len(workloadRoutes))]
	path := rt.path
	if strings.Contains(path, "%d") {
		path = fmt.Sprintf(rt.path, 81723+i)
	}
	query := "?page=2&sort=price"
	if pii {
		query = "?email=" + w.email() + "&page=2"
	}
	sp.SetName("GET " + rt.route)
	sp.SetKind(ptrace.SpanKindServer)
	a := sp.Attributes()
	a.PutStr("http.request.method", "GET")
	a.PutStr("http.route", rt.route)
	a.PutStr("url.full", "https://shop.example.com"+path+query)
	a.PutStr("url.scheme", "https")
	a.PutStr("url.path", path)
	a.PutStr("server.address", "shop.example.com")
	a.PutInt("server.port", 443)
	a.PutStr("network.protocol.version", "2")
	a.PutStr("user_agent.original", browserUserAgents[w.r.IntN(len(browserUserAgents))])
	if pii {
		a.PutStr("client.address", fmt.Sprintf("203.0.113.%d", 1+w.r.IntN(250)))
	} else {
		a.PutStr("client.address", fmt.Sprintf("10.%d.%d.%d", w.r.IntN(256), w.r.IntN(256), 1+w.r.IntN(250)))
	}
	a.PutInt("client.port", int64(40000+w.r.IntN(20000)))
	a.PutInt("http.response.status_code", 200)
	a.PutInt("http.response.body.size", int64(512+w.r.IntN(4096)))
	if i%50 == 0 {
		sp.Status().SetCode(ptrace.StatusCodeError)
		sp.Status().SetMessage("upstream inventory timed out after 3000ms")
		ev := sp.Events().AppendEmpty()
		ev.SetName("exception")
		ev.Attributes().PutStr("exception.type", "context.DeadlineExceeded")
		ev.Attributes().PutStr("exception.message", "calling inventory-7d9f8c6b5-x2x9z:8080: context deadline exceeded")
		ev.Attributes().PutStr("exception.stacktrace", goStack)
	}
}

func (w *workload) clientSpan(sp ptrace.Span, pii bool) {
	sp.SetName("GET")
	sp.SetKind(ptrace.SpanKindClient)
	a := sp.Attributes()
	a.PutStr("http.request.method", "GET")
	u := fmt.Sprintf("http://inventory.shop.svc.cluster.local:8080/v2/stock/SKU-%d", 10000+w.r.IntN(90000))
	if pii {
		u += "?notify=" + w.email()
	}
	a.PutStr("url.full", u)
	a.PutStr("server.address", "inventory.shop.svc.cluster.local")
	a.PutInt("server.port", 8080)
	a.PutInt("http.response.status_code", 200)
}

func (w *workload) dbSpan(sp ptrace.Span, i int, pii bool) {
	sp.SetName("SELECT shop.orders")
	sp.SetKind(ptrace.SpanKindClient)
	a := sp.Attributes()
	a.PutStr("db.system.name", "postgresql")
	a.PutStr("db.namespace", "shop")
	a.PutStr("db.operation.name", "SELECT")
	a.PutStr("db.collection.name", "orders")
	q := "SELECT id, total, currency, status FROM orders WHERE customer_id = $1 AND created_at > $2 ORDER BY created_at DESC LIMIT 20"
	if pii {
		q = fmt.Sprintf("SELECT id, total FROM customers WHERE email = '%s' LIMIT 1", w.email())
	}
	a.PutStr("db.query.text", q)
	a.PutStr("server.address", "pg-primary.shop.svc.cluster.local")
	a.PutInt("server.port", 5432)
	a.PutInt("db.response.returned_rows", int64(i%20))
}

func (w *workload) messagingSpan(sp ptrace.Span, i int, pii bool) {
	sp.SetName("publish orders.placed")
	sp.SetKind(ptrace.SpanKindProducer)
	a := sp.Attributes()
	a.PutStr("messaging.system", "kafka")
	a.PutStr("messaging.operation.type", "publish")
	a.PutStr("messaging.destination.name", "orders.placed")
	a.PutStr("messaging.message.id", fmt.Sprintf("ord-%d-%d", 81723+i, w.r.IntN(1000)))
	a.PutInt("messaging.kafka.destination.partition", int64(i%12))
	if pii {
		a.PutStr("messaging.message.conversation_id", "+44 20 7946 0958")
	}
}

func (w *workload) email() string {
	names := []string{"jane.doe", "j.smith", "maria.garcia", "li.wei", "o.roe"}
	return fmt.Sprintf("%s%d@example.com", names[w.r.IntN(len(names))], w.r.IntN(100))
}

const goStack = "goroutine 1 [running]:\nmain.(*Handler).checkout(0xc000123456, {0x1a2b3c0, 0xc000456789})\n\t/app/internal/checkout/handler.go:142 +0x1d\nnet/http.HandlerFunc.ServeHTTP(0xc0001a2b3c?, {0x7f9a8b7c6d50?, 0xc000222111?}, 0x0?)\n\t/usr/local/go/src/net/http/server.go:2220 +0x29\nnet/http.serverHandler.ServeHTTP({0xc000333222?}, {0x7f9a8b7c6d50, 0xc000222111}, 0xc000444333)\n\t/usr/local/go/src/net/http/server.go:3210 +0x8e"

const javaStack = "java.lang.IllegalStateException: payment provider returned 502\n\tat com.example.shop.payment.PaymentClient.charge(PaymentClient.java:118)\n\tat com.example.shop.checkout.CheckoutService.placeOrder(CheckoutService.java:87)\n\tat com.example.shop.checkout.CheckoutController.confirm(CheckoutController.java:54)\n\tat org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:885)\n\tat jakarta.servlet.http.HttpServlet.service(HttpServlet.java:658)\nCaused by: java.net.SocketTimeoutException: Read timed out\n\tat java.base/sun.nio.ch.NioSocketImpl.timedRead(NioSocketImpl.java:278)\n\t... 42 more"

// workloadLogs returns n log records: JSON bodies, plain lines and the odd stack trace.
func workloadLogs(n int) plog.Logs {
	w := newWorkload()
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", "checkout")
	rl.Resource().Attributes().PutStr("k8s.namespace.name", "shop")
	rl.Resource().Attributes().PutStr("k8s.pod.name", "checkout-7d9f8c6b5-x2x9z")
	sl := rl.ScopeLogs().AppendEmpty()
	for i := 0; i < n; i++ {
		lr := sl.LogRecords().AppendEmpty()
		lr.SetTimestamp(pcommon.Timestamp(1772366400000000000 + int64(i)*1000))
		lr.SetSeverityText("INFO")
		pii := w.r.IntN(piiEvery) == 0
		switch {
		case i%20 == 7:
			lr.SetSeverityText("ERROR")
			lr.Body().SetStr("order placement failed\n" + javaStack)
		case i%3 == 0:
			lr.Body().SetStr(w.plainLine(i, pii))
		default:
			lr.Body().SetStr(w.jsonLine(i, pii))
		}
		lr.Attributes().PutStr("log.iostream", "stdout")
		lr.Attributes().PutStr("log.file.path", "/var/log/pods/shop_checkout-7d9f8c6b5-x2x9z/checkout/0.log")
	}
	return ld
}

func (w *workload) jsonLine(i int, pii bool) string {
	user := fmt.Sprintf("u_%d", 100000+w.r.IntN(900000))
	extra := ""
	if pii {
		extra = fmt.Sprintf(`,"customer_email":"%s","client_ip":"198.51.100.%d"`, w.email(), 1+w.r.IntN(250))
	}
	return fmt.Sprintf(`{"ts":"2026-03-01T12:%02d:%02d.%03dZ","level":"info","logger":"checkout.handler","msg":"order placed","order_id":"ord_%d","user_id":"%s","items":%d,"total_cents":%d,"currency":"EUR","duration_ms":%d,"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"%s}`,
		i/60%60, i%60, i%1000, 81723+i, user, 1+w.r.IntN(9), 100+w.r.IntN(100000), w.r.IntN(400), extra)
}

func (w *workload) plainLine(i int, pii bool) string {
	if pii {
		return fmt.Sprintf("2026-03-01 12:00:%02d,%03d INFO [http-nio-8080-exec-%d] c.e.s.checkout.CheckoutController - confirmation sent to %s for order ord_%d", i%60, i%1000, i%16, w.email(), 81723+i)
	}
	return fmt.Sprintf("2026-03-01 12:00:%02d,%03d INFO [http-nio-8080-exec-%d] c.e.s.checkout.CheckoutController - GET /api/v1/orders/%d 200 in %dms (cache hit ratio 0.93)", i%60, i%1000, i%16, 81723+i, w.r.IntN(400))
}

// BenchmarkWorkload/<signal>/<pii_scrub|redaction>: both processors on the e2e-shaped workload (batches of
// workloadBatch records, one record in ten with personal data), each batch fresh (a scrubbed batch would hold
// pseudonyms, which a second pass skips). MB/s counts the text in the records.
func BenchmarkWorkload(b *testing.B) {
	for _, sig := range []string{"traces", "logs"} {
		for _, which := range []string{"pii_scrub", "redaction"} {
			b.Run(sig+"/"+which, func(b *testing.B) { runWorkloadBench(b, sig, which) })
		}
	}
}

const workloadBatch = 500

// freshBatches hands out copies of one batch, refilling them with the timer stopped.
type freshBatches[T any] struct {
	copies []T
	next   int
	fill   func(dst T)
}

func newFreshBatches[T any](n int, alloc func() T, fill func(dst T)) *freshBatches[T] {
	f := &freshBatches[T]{copies: make([]T, n), next: n, fill: fill}
	for i := range f.copies {
		f.copies[i] = alloc()
	}
	return f
}

func (f *freshBatches[T]) get(b *testing.B) T {
	if f.next == len(f.copies) {
		b.StopTimer()
		for _, c := range f.copies {
			f.fill(c)
		}
		f.next = 0
		b.StartTimer()
	}
	f.next++
	return f.copies[f.next-1]
}

func runWorkloadBench(b *testing.B, sig, which string) {
	ctx := context.Background()
	ps := processorsFor(b, which)
	switch sig {
	case "traces":
		p, err := ps.traces()
		require.NoError(b, err)
		src := workloadTraces(workloadBatch)
		fresh := newFreshBatches(16, ptrace.NewTraces, func(dst ptrace.Traces) { src.CopyTo(dst) })
		b.SetBytes(int64(tracesBytes(src)))
		b.ReportAllocs()
		for b.Loop() {
			if err := p.ConsumeTraces(ctx, fresh.get(b)); err != nil {
				b.Fatal(err)
			}
		}
	case "logs":
		p, err := ps.logs()
		require.NoError(b, err)
		src := workloadLogs(workloadBatch)
		fresh := newFreshBatches(16, plog.NewLogs, func(dst plog.Logs) { src.CopyTo(dst) })
		b.SetBytes(int64(logsBytes(src)))
		b.ReportAllocs()
		for b.Loop() {
			if err := p.ConsumeLogs(ctx, fresh.get(b)); err != nil {
				b.Fatal(err)
			}
		}
	}
}
