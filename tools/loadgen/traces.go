package main

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// traceBuilder writes whole traces of 1-8 spans into one request: each service has its own ResourceSpans,
// and a trace's spans go to the services that would have produced them.
type traceBuilder struct {
	r      *rand.Rand
	m      *mix
	now    time.Time
	traces ptrace.Traces
	spans  []ptrace.SpanSlice // per service
	ids    [][16]byte         // the trace ids written, for the sender's per-request salt
}

func buildTraces(r *rand.Rand, m *mix, now time.Time) (ptrace.Traces, [][16]byte) {
	b := &traceBuilder{r: r, m: m, now: now, traces: ptrace.NewTraces()}
	for i, s := range services {
		rs := b.traces.ResourceSpans().AppendEmpty()
		putResource(r, rs.Resource().Attributes(), s, i)
		ss := rs.ScopeSpans().AppendEmpty()
		ss.Scope().SetName("go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp")
		ss.Scope().SetVersion("0.63.0")
		b.spans = append(b.spans, ss.Spans())
	}
	for b.traces.SpanCount() < m.spansPerRequest {
		b.trace()
	}
	return b.traces, b.ids
}

// traceKind says what is special about a trace.
type traceKind int

const (
	normalTrace traceKind = iota
	errorTrace
	slowTrace
	syntheticTrace
	probeTrace
)

func (b *traceBuilder) kind() traceKind {
	x := b.r.Float64()
	for _, k := range []struct {
		share float64
		kind  traceKind
	}{{b.m.errors, errorTrace}, {b.m.slow, slowTrace}, {b.m.synthetic, syntheticTrace}, {b.m.probes, probeTrace}} {
		if x < k.share {
			return k.kind
		}
		x -= k.share
	}
	return normalTrace
}

// span is one span of a trace being written, before it is placed in its service's slice.
type span struct {
	svc        int
	name       string
	kind       ptrace.SpanKind
	parent     pcommon.SpanID
	start, end time.Time
}

func (b *traceBuilder) add(tid pcommon.TraceID, s span) ptrace.Span {
	sp := b.spans[s.svc].AppendEmpty()
	sp.SetTraceID(tid)
	var sid [8]byte
	for i := range sid {
		sid[i] = byte(b.r.Uint32())
	}
	sp.SetSpanID(sid)
	sp.SetParentSpanID(s.parent)
	sp.SetName(s.name)
	sp.SetKind(s.kind)
	sp.SetStartTimestamp(pcommon.NewTimestampFromTime(s.start))
	sp.SetEndTimestamp(pcommon.NewTimestampFromTime(s.end))
	return sp
}

func (b *traceBuilder) trace() {
	var tid [16]byte
	for i := range tid {
		tid[i] = byte(b.r.Uint32())
	}
	b.ids = append(b.ids, tid)
	kind := b.kind()
	start := b.now.Add(-time.Duration(b.r.IntN(1000)) * time.Millisecond)
	if kind == probeTrace {
		sp := b.add(tid, span{svc: 1 + b.r.IntN(len(services)-1), name: "GET", kind: ptrace.SpanKindServer, start: start, end: start.Add(time.Millisecond)})
		b.serverAttrs(sp, "GET", "", probePaths[b.r.IntN(len(probePaths))], probeUserAgent, 200)
		return
	}
	rt := routes[b.r.IntN(len(routes))]
	scale := 1.0
	if kind == slowTrace {
		scale = 20 + 30*b.r.Float64()
	}
	total := time.Duration(float64(rt.typicalMS)*(0.5+b.r.ExpFloat64()*0.5)*scale) * time.Millisecond
	status := 200
	if kind == errorTrace {
		status = 500
	} else if b.r.IntN(50) == 0 {
		status = []int{400, 401, 404, 409}[b.r.IntN(4)]
	}
	ua := browserUserAgents[b.r.IntN(len(browserUserAgents))]
	if kind == syntheticTrace {
		ua = syntheticUserAgents[b.r.IntN(len(syntheticUserAgents))]
	}
	path := rt.path(b.r)
	query := ""
	if rt.template == "/api/search" {
		query = "q=" + url.QueryEscape(searchTerms[b.r.IntN(len(searchTerms))]) + fmt.Sprintf("&page=%d", 1+b.r.IntN(5))
	}
	if b.r.Float64() < b.m.pii {
		query = strings.TrimPrefix(query+"&email="+url.QueryEscape(email(b.r)), "&")
	}

	root := b.add(tid, span{svc: 0, name: rt.method + " " + rt.template, kind: ptrace.SpanKindServer, start: start, end: start.Add(total)})
	b.serverAttrs(root, rt.method, rt.template, path, ua, status)
	if query != "" {
		root.Attributes().PutStr("url.query", query)
		root.Attributes().PutStr("url.full", "https://shop.example.com"+path+"?"+query)
	}
	if kind == errorTrace {
		root.Status().SetCode(ptrace.StatusCodeError)
	}
	if rt.service == 0 {
		b.cacheSpan(tid, 0, root.SpanID(), start.Add(total/10), total/5)
		return
	}
	b.backend(tid, root.SpanID(), rt, kind, path, status, start.Add(total/20), total*9/10)
}

// backend writes the frontend's HTTP client span, the backend's server span and what it calls.
func (b *traceBuilder) backend(tid pcommon.TraceID, parent pcommon.SpanID, rt route, kind traceKind, path string, status int, start time.Time, d time.Duration) {
	svc := services[rt.service].name
	client := b.add(tid, span{svc: 0, name: rt.method, kind: ptrace.SpanKindClient, parent: parent, start: start, end: start.Add(d)})
	ca := client.Attributes()
	ca.PutStr("http.request.method", rt.method)
	ca.PutInt("http.response.status_code", int64(status))
	ca.PutStr("url.full", "http://"+svc+"."+services[rt.service].namespace+".svc:8080"+path)
	ca.PutStr("server.address", svc+"."+services[rt.service].namespace+".svc")
	ca.PutInt("server.port", 8080)
	ca.PutStr("network.protocol.version", "1.1")

	srv := b.add(tid, span{svc: rt.service, name: rt.method + " " + rt.template, kind: ptrace.SpanKindServer, parent: client.SpanID(), start: start.Add(time.Millisecond), end: start.Add(d - time.Millisecond)})
	b.serverAttrs(srv, rt.method, rt.template, path, "Go-http-client/1.1", status)
	srv.Attributes().PutStr("client.address", podIP(b.r))
	if b.r.Float64() < b.m.pii {
		if b.r.IntN(2) == 0 {
			srv.Attributes().PutStr("enduser.id", email(b.r))
		} else {
			srv.Attributes().PutStr("http.request.header.authorization", "Bearer "+jwt)
		}
	}
	dbStart := start.Add(d / 5)
	db := b.dbSpan(tid, rt.service, srv.SpanID(), dbStart, d/3)
	if kind == errorTrace {
		srv.Status().SetCode(ptrace.StatusCodeError)
		db.Status().SetCode(ptrace.StatusCodeError)
		db.Status().SetMessage("ERROR: deadlock detected (SQLSTATE 40P01)")
		ev := db.Events().AppendEmpty()
		ev.SetName("exception")
		ev.SetTimestamp(pcommon.NewTimestampFromTime(dbStart.Add(d / 3)))
		ev.Attributes().PutStr("exception.type", "org.postgresql.util.PSQLException")
		msg := "ERROR: deadlock detected"
		if b.r.Float64() < 0.3 {
			msg += " while updating account of " + email(b.r)
		}
		ev.Attributes().PutStr("exception.message", msg)
		ev.Attributes().PutStr("exception.stacktrace", javaStack)
	}
	if rt.method == "POST" {
		b.messaging(tid, rt.service, srv.SpanID(), start.Add(d*2/3), d/10)
	} else if b.r.IntN(2) == 0 {
		b.cacheSpan(tid, rt.service, srv.SpanID(), start.Add(d/10), d/20)
	}
}

func (b *traceBuilder) serverAttrs(sp ptrace.Span, method, template, path, ua string, status int) {
	a := sp.Attributes()
	a.PutStr("http.request.method", method)
	if template != "" {
		a.PutStr("http.route", template)
	}
	a.PutInt("http.response.status_code", int64(status))
	a.PutStr("url.scheme", "https")
	a.PutStr("url.path", path)
	a.PutStr("url.full", "https://shop.example.com"+path)
	a.PutStr("server.address", "shop.example.com")
	a.PutInt("server.port", 443)
	a.PutStr("network.protocol.version", "2")
	a.PutStr("user_agent.original", ua)
	a.PutStr("client.address", publicIP(b.r))
	a.PutInt("client.port", int64(1024+b.r.IntN(60000)))
	a.PutStr("network.peer.address", podIP(b.r))
}

var dbQueries = []struct{ collection, op, text string }{
	{"orders", "SELECT", "SELECT id, status, total_cents FROM orders WHERE user_id = $1 ORDER BY created_at DESC LIMIT 20"},
	{"products", "SELECT", "SELECT p.id, p.name, p.price_cents, s.quantity FROM products p JOIN stock s ON s.product_id = p.id WHERE p.id = $1"},
	{"carts", "INSERT", "INSERT INTO cart_items (cart_id, product_id, quantity) VALUES ($1, $2, $3) ON CONFLICT (cart_id, product_id) DO UPDATE SET quantity = cart_items.quantity + $3"},
	{"accounts", "UPDATE", "UPDATE accounts SET last_login_at = now() WHERE id = $1"},
}

func (b *traceBuilder) dbSpan(tid pcommon.TraceID, svc int, parent pcommon.SpanID, start time.Time, d time.Duration) ptrace.Span {
	q := dbQueries[b.r.IntN(len(dbQueries))]
	sp := b.add(tid, span{svc: svc, name: q.op + " shop." + q.collection, kind: ptrace.SpanKindClient, parent: parent, start: start, end: start.Add(d)})
	a := sp.Attributes()
	a.PutStr("db.system.name", "postgresql")
	a.PutStr("db.namespace", "shop")
	a.PutStr("db.collection.name", q.collection)
	a.PutStr("db.operation.name", q.op)
	text := q.text
	if b.r.Float64() < b.m.pii {
		// An unparameterised query, as ORMs in debug mode and hand-written SQL still send.
		text = "SELECT id, name FROM customers WHERE email = '" + email(b.r) + "'"
	}
	a.PutStr("db.query.text", text)
	a.PutStr("server.address", "postgres-primary.shop.svc")
	a.PutInt("server.port", 5432)
	return sp
}

func (b *traceBuilder) cacheSpan(tid pcommon.TraceID, svc int, parent pcommon.SpanID, start time.Time, d time.Duration) {
	sp := b.add(tid, span{svc: svc, name: "GET", kind: ptrace.SpanKindClient, parent: parent, start: start, end: start.Add(d)})
	a := sp.Attributes()
	a.PutStr("db.system.name", "redis")
	a.PutStr("db.operation.name", "GET")
	a.PutStr("db.query.text", fmt.Sprintf("GET session:%s", hexID(b.r, 16)))
	a.PutStr("db.namespace", "0")
	a.PutStr("server.address", "redis.shop.svc")
	a.PutInt("server.port", 6379)
}

// messaging writes a Kafka producer span and the consumer span of the service that processes the message.
func (b *traceBuilder) messaging(tid pcommon.TraceID, svc int, parent pcommon.SpanID, start time.Time, d time.Duration) {
	prod := b.add(tid, span{svc: svc, name: "send orders", kind: ptrace.SpanKindProducer, parent: parent, start: start, end: start.Add(d)})
	pa := prod.Attributes()
	pa.PutStr("messaging.system", "kafka")
	pa.PutStr("messaging.operation.type", "send")
	pa.PutStr("messaging.operation.name", "send")
	pa.PutStr("messaging.destination.name", "orders")
	pa.PutStr("messaging.message.id", hexID(b.r, 24))
	pa.PutInt("messaging.destination.partition.id", int64(b.r.IntN(12)))
	pa.PutStr("server.address", "kafka-0.kafka.shop.svc")
	if b.r.IntN(2) == 0 {
		return
	}
	cons := b.add(tid, span{svc: 4, name: "process orders", kind: ptrace.SpanKindConsumer, parent: prod.SpanID(), start: start.Add(d * 2), end: start.Add(d * 4)})
	ca := cons.Attributes()
	ca.PutStr("messaging.system", "kafka")
	ca.PutStr("messaging.operation.type", "process")
	ca.PutStr("messaging.operation.name", "process")
	ca.PutStr("messaging.destination.name", "orders")
	ca.PutStr("messaging.consumer.group.name", "order-history")
	ca.PutStr("messaging.message.id", hexID(b.r, 24))
}

const javaStack = `org.postgresql.util.PSQLException: ERROR: deadlock detected
	at org.postgresql.core.v3.QueryExecutorImpl.receiveErrorResponse(QueryExecutorImpl.java:2725)
	at org.postgresql.core.v3.QueryExecutorImpl.processResults(QueryExecutorImpl.java:2412)
	at org.postgresql.jdbc.PgStatement.executeInternal(PgStatement.java:517)
	at com.zaxxer.hikari.pool.HikariProxyPreparedStatement.executeUpdate(HikariProxyPreparedStatement.java)
	at shop.payment.LedgerRepository.debit(LedgerRepository.java:88)
	at shop.payment.ChargeService.charge(ChargeService.java:142)
	at shop.payment.ChargeController.post(ChargeController.java:57)
	at java.base/java.lang.Thread.run(Thread.java:1583)`
