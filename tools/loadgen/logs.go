package main

import (
	"fmt"
	"math/rand/v2"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// buildLogs writes m.logsPerRequest log records spread over the services: plain text lines, JSON lines,
// map bodies, error records with stack traces, access logs of health checks, and personal data in m.pii
// of them.
func buildLogs(r *rand.Rand, m *mix, now time.Time) plog.Logs {
	ld := plog.NewLogs()
	var recs []plog.LogRecordSlice
	for i, s := range services {
		rl := ld.ResourceLogs().AppendEmpty()
		putResource(r, rl.Resource().Attributes(), s, i)
		sl := rl.ScopeLogs().AppendEmpty()
		sl.Scope().SetName("shop/" + s.name)
		recs = append(recs, sl.LogRecords())
	}
	for n := range m.logsPerRequest {
		svc := r.IntN(len(services))
		lr := recs[svc].AppendEmpty()
		ts := now.Add(-time.Duration(r.IntN(1000)) * time.Millisecond)
		lr.SetTimestamp(pcommon.NewTimestampFromTime(ts))
		lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(ts.Add(3 * time.Millisecond)))
		if n%3 == 0 {
			var tid [16]byte
			var sid [8]byte
			for i := range tid {
				tid[i] = byte(r.Uint32())
			}
			for i := range sid {
				sid[i] = byte(r.Uint32())
			}
			lr.SetTraceID(tid)
			lr.SetSpanID(sid)
		}
		writeLogRecord(r, m, lr, services[svc].name)
	}
	return ld
}

type severity struct {
	text   string
	number plog.SeverityNumber
}

var severities = []severity{
	{"DEBUG", plog.SeverityNumberDebug}, {"DEBUG", plog.SeverityNumberDebug},
	{"INFO", plog.SeverityNumberInfo}, {"INFO", plog.SeverityNumberInfo}, {"INFO", plog.SeverityNumberInfo},
	{"INFO", plog.SeverityNumberInfo}, {"INFO", plog.SeverityNumberInfo}, {"INFO", plog.SeverityNumberInfo},
	{"WARN", plog.SeverityNumberWarn}, {"ERROR", plog.SeverityNumberError},
}

var plainMessages = []string{
	"order %s placed: 3 items, total 84.90 EUR",
	"payment authorised for order %s in 182 ms",
	"cache miss for product %s, loading from database",
	"retrying request to catalog (attempt 2/3): context deadline exceeded, order %s",
	"slow query (412 ms) on orders for %s",
	"user session %s refreshed",
}

func writeLogRecord(r *rand.Rand, m *mix, lr plog.LogRecord, svc string) {
	a := lr.Attributes()
	a.PutStr("code.function.name", "shop."+svc+".Handler.serve")
	a.PutStr("thread.name", fmt.Sprintf("worker-%d", r.IntN(16)))
	id := hexID(r, 12)
	pii := r.Float64() < m.pii
	x := r.Float64()
	switch {
	case x < m.probes:
		lr.SetSeverityText("INFO")
		lr.SetSeverityNumber(plog.SeverityNumberInfo)
		a.PutStr("url.path", probePaths[r.IntN(len(probePaths))])
		a.PutStr("user_agent.original", probeUserAgent)
		lr.Body().SetStr(fmt.Sprintf("%s - - \"GET /healthz HTTP/1.1\" 200 2 \"-\" \"%s\"", podIP(r), probeUserAgent))
		return
	case x < m.probes+m.stackLogs:
		lr.SetSeverityText("ERROR")
		lr.SetSeverityNumber(plog.SeverityNumberError)
		a.PutStr("exception.type", "org.postgresql.util.PSQLException")
		a.PutStr("exception.stacktrace", javaStack)
		msg := "charge failed for order " + id
		if pii {
			msg += " (customer " + email(r) + ")"
		}
		lr.Body().SetStr(msg + "\n" + javaStack)
		return
	}
	sev := severities[r.IntN(len(severities))]
	lr.SetSeverityText(sev.text)
	lr.SetSeverityNumber(sev.number)
	msg := fmt.Sprintf(plainMessages[r.IntN(len(plainMessages))], id)
	if pii {
		msg += piiSuffix(r)
	}
	y := r.Float64()
	switch {
	case y < m.jsonLogs:
		lr.Body().SetStr(fmt.Sprintf(`{"ts":"%s","level":"%s","logger":"shop.%s","msg":%q,"order_id":"%s","duration_ms":%d,"http":{"method":"POST","route":"/api/checkout","status":200}}`,
			time.Unix(0, int64(lr.Timestamp())).UTC().Format(time.RFC3339Nano), sev.text, svc, msg, id, r.IntN(900)))
	case y < m.jsonLogs+m.mapLogs:
		body := lr.Body().SetEmptyMap()
		body.PutStr("msg", msg)
		body.PutStr("order_id", id)
		body.PutInt("duration_ms", int64(r.IntN(900)))
		req := body.PutEmptyMap("request")
		req.PutStr("method", "POST")
		req.PutStr("path", "/api/checkout")
	default:
		lr.Body().SetStr(time.Unix(0, int64(lr.Timestamp())).UTC().Format("2006-01-02T15:04:05.000Z") + " " + sev.text + " [" + svc + "] " + msg)
	}
}

// piiSuffix is the personal data a careless log line carries.
func piiSuffix(r *rand.Rand) string {
	switch r.IntN(6) {
	case 0:
		return " for " + email(r)
	case 1:
		return ", call back on " + phone(r)
	case 2:
		return ", card " + cards[r.IntN(len(cards))]
	case 3:
		return ", refund to IBAN " + ibans[r.IntN(len(ibans))]
	case 4:
		return " from client " + publicIP(r)
	default:
		return ", Authorization: Bearer " + jwt
	}
}
