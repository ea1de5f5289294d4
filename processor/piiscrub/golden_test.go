package piiscrub

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/pmetrictest"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/ptracetest"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/otelcol-warden/otelcol-warden/processor/piiscrub/internal/metadata"
)

var (
	updateGolden = flag.Bool("update", false, "rewrite testdata/<case>/expected.yaml from the processor's output")
	writeInputs  = flag.Bool("write-inputs", false, "rewrite the generated testdata/<case>/input.yaml files")
)

// TestGolden runs every testdata/<case>/ folder: input.yaml through the processor, compared with expected.yaml.
// The case name starts with the signal (traces_, logs_, metrics_). An optional config.yaml is merged over the
// default config (the key is always the fixed test key, id t1). New cases need no new code.
func TestGolden(t *testing.T) {
	if *writeInputs {
		writeGeneratedInputs(t)
	}
	dirs, err := filepath.Glob(filepath.Join("testdata", "*", "input.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, dirs)
	for _, in := range dirs {
		dir := filepath.Dir(in)
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			cfg := testConfig(t)
			if _, err := os.Stat(filepath.Join(dir, "config.yaml")); err == nil {
				cm, err := confmaptest.LoadConf(filepath.Join(dir, "config.yaml"))
				require.NoError(t, err)
				require.NoError(t, cm.Unmarshal(cfg))
				if cfg.MaskOnly {
					cfg.Key.File = ""
				}
			}
			require.NoError(t, confmap.Validate(cfg))
			expected := filepath.Join(dir, "expected.yaml")
			f := NewFactory()
			set := processortest.NewNopSettings(metadata.Type)
			ctx := context.Background()
			switch {
			case strings.HasPrefix(name, "traces"):
				sink := new(consumertest.TracesSink)
				proc, err := f.CreateTraces(ctx, set, cfg, sink)
				require.NoError(t, err)
				td, err := golden.ReadTraces(in)
				require.NoError(t, err)
				require.NoError(t, proc.ConsumeTraces(ctx, td))
				got := ptrace.NewTraces()
				if all := sink.AllTraces(); len(all) > 0 {
					got = all[0]
				}
				if *updateGolden {
					require.NoError(t, golden.WriteTraces(t, expected, got))
				}
				want, err := golden.ReadTraces(expected)
				require.NoError(t, err)
				require.NoError(t, ptracetest.CompareTraces(want, got))
			case strings.HasPrefix(name, "logs"):
				sink := new(consumertest.LogsSink)
				proc, err := f.CreateLogs(ctx, set, cfg, sink)
				require.NoError(t, err)
				ld, err := golden.ReadLogs(in)
				require.NoError(t, err)
				require.NoError(t, proc.ConsumeLogs(ctx, ld))
				got := plog.NewLogs()
				if all := sink.AllLogs(); len(all) > 0 {
					got = all[0]
				}
				if *updateGolden {
					require.NoError(t, golden.WriteLogs(t, expected, got))
				}
				want, err := golden.ReadLogs(expected)
				require.NoError(t, err)
				require.NoError(t, plogtest.CompareLogs(want, got))
			case strings.HasPrefix(name, "metrics"):
				sink := new(consumertest.MetricsSink)
				proc, err := f.CreateMetrics(ctx, set, cfg, sink)
				require.NoError(t, err)
				md, err := golden.ReadMetrics(in)
				require.NoError(t, err)
				require.NoError(t, proc.ConsumeMetrics(ctx, md))
				got := pmetric.NewMetrics()
				if all := sink.AllMetrics(); len(all) > 0 {
					got = all[0]
				}
				if *updateGolden {
					require.NoError(t, golden.WriteMetrics(t, expected, got, golden.SkipMetricTimestampNormalization()))
				}
				want, err := golden.ReadMetrics(expected)
				require.NoError(t, err)
				require.NoError(t, pmetrictest.CompareMetrics(want, got))
			default:
				t.Fatalf("case %s: name must start with traces, logs or metrics", name)
			}
		})
	}
}

// Fake personal data used by the generated inputs. Card, IBAN and JWT are published test values.
const (
	gEmail  = "jane.roe@example.com"
	gEmail2 = "Jane.Roe@Example.com" // the same person, other case: same pseudonym
	gCard   = "4111 1111 1111 1111"
	gSSN    = "536-22-8726"
	gIP     = "203.0.113.42"
	gIPv6   = "2001:db8:85a3::8a2e:370:7334"
	gIBAN   = "DE89 3704 0044 0532 0130 00"
	gPhone  = "+1 415 555 2671"
	gJWT    = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
)

var (
	gDay1 = pcommon.NewTimestampFromTime(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	gDay2 = pcommon.NewTimestampFromTime(time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC))
)

func putMachineIDs(m pcommon.Map) {
	m.PutStr("service.name", "checkout")
	m.PutStr("k8s.pod.name", "checkout-7d9f8c6b5-x2x9z")
	m.PutStr("request.uuid", "123e4567-e89b-12d3-a456-426614174000")
	m.PutStr("build.version", "1.22.3")
	m.PutInt("order.number", 4111111111111112) // 16 digits, fails Luhn
	m.PutStr("started", "2026-03-01T12:00:00.123Z")
}

// writeGeneratedInputs writes the input.yaml of every case built in Go below (-write-inputs).
func writeGeneratedInputs(t *testing.T) {
	mk := func(name string) string {
		d := filepath.Join("testdata", name)
		require.NoError(t, os.MkdirAll(d, 0o755))
		return filepath.Join(d, "input.yaml")
	}
	allFields := goldenTracesAllFields()
	require.NoError(t, golden.WriteTraces(t, mk("traces_all_fields"), allFields))
	require.NoError(t, golden.WriteTraces(t, mk("traces_clean"), goldenTracesClean()))
	// traces_mask_only: same span as all_fields, no key, every hash becomes a mask.
	require.NoError(t, golden.WriteTraces(t, mk("traces_mask_only"), allFields))
	require.NoError(t, golden.WriteLogs(t, mk("logs_bodies"), goldenLogsBodies()))
	require.NoError(t, golden.WriteLogs(t, mk("logs_daily_rotation"), goldenLogsDailyRotation()))
	// metrics_hash_action: the same metrics as metrics_all_types, under the hash action.
	md := goldenMetricsAllTypes()
	require.NoError(t, golden.WriteMetrics(t, mk("metrics_all_types"), md, golden.SkipMetricTimestampNormalization()))
	require.NoError(t, golden.WriteMetrics(t, mk("metrics_hash_action"), md, golden.SkipMetricTimestampNormalization()))
}

// traces_all_fields: PII in every traced location.
func goldenTracesAllFields() ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "checkout")
	rs.Resource().Attributes().PutStr("host.owner", gEmail)
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("checkout-lib")
	ss.Scope().Attributes().PutStr("lib.contact", "maintainer "+gEmail)
	span := ss.Spans().AppendEmpty()
	span.SetTraceID(pcommon.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36})
	span.SetSpanID(pcommon.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7})
	span.SetStartTimestamp(gDay1)
	span.SetEndTimestamp(gDay1 + 1000)
	span.SetName("GET /users/" + gEmail + "/orders")
	a := span.Attributes()
	putMachineIDs(a)
	a.PutStr("url.full", "https://bob:hunter2@shop.example.com/users/"+gEmail2+"/orders?session=abc123&phone=4155552671&page=2")
	a.PutStr("url.path", "/users/jane.roe%40example.com/cart")
	a.PutStr("url.query", "token=zzz&email=jane.roe%40example.com&sort=asc")
	a.PutStr("http.request.header.authorization", "Bearer "+gJWT)
	a.PutStr("user.id", "u-829301")
	a.PutStr("user.email", gEmail)
	a.PutStr("client.address", gIP)
	a.PutStr("payment.note", "card "+gCard+" iban "+gIBAN)
	a.PutInt("payment.card", 4111111111111111)
	a.PutStr("customer.phone", "415-555-2671")
	a.PutStr("note", "ssn "+gSSN+" ip6 "+gIPv6)
	a.PutEmptyBytes("raw").FromRaw([]byte("payload from " + gEmail))
	nested := a.PutEmptyMap("order")
	nested.PutStr("contact", gEmail)
	nested.PutStr("password", "hunter2")
	nested.PutEmptyMap(gEmail).PutStr("role", "buyer")
	sl := a.PutEmptySlice("cc")
	sl.AppendEmpty().SetStr(gEmail)
	sl.AppendEmpty().SetStr("no pii here")
	span.Status().SetCode(ptrace.StatusCodeError)
	span.Status().SetMessage("payment failed for " + gEmail + " from " + gIP)
	ev := span.Events().AppendEmpty()
	ev.SetName("exception")
	ev.SetTimestamp(gDay1 + 10)
	ev.Attributes().PutStr("exception.message", "card "+gCard+" declined for "+gEmail)
	ev.Attributes().PutStr("exception.stacktrace", "at Pay(ssn="+gSSN+")\n  at Main(token="+gJWT+")")
	ev2 := span.Events().AppendEmpty()
	ev2.SetName("mail sent to " + gEmail)
	link := span.Links().AppendEmpty()
	link.SetTraceID(pcommon.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	link.SetSpanID(pcommon.SpanID{1, 2, 3, 4, 5, 6, 7, 8})
	link.Attributes().PutStr("peer.ip", gIP)
	clean := ss.Spans().AppendEmpty()
	clean.SetTraceID(span.TraceID())
	clean.SetSpanID(pcommon.SpanID{9, 9, 9, 9, 9, 9, 9, 9})
	clean.SetStartTimestamp(gDay1)
	clean.SetName("SELECT orders")
	putMachineIDs(clean.Attributes())
	return td
}

// traces_clean: nothing to find; output equals input, no marker.
func goldenTracesClean() ptrace.Traces {
	td2 := ptrace.NewTraces()
	rs2 := td2.ResourceSpans().AppendEmpty()
	rs2.Resource().Attributes().PutStr("service.name", "inventory")
	rs2.Resource().Attributes().PutStr("k8s.pod.name", "inventory-5c7b9d8f4-qwz8p")
	sp2 := rs2.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	sp2.SetTraceID(pcommon.TraceID{0xaa, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
	sp2.SetSpanID(pcommon.SpanID{0xbb, 1, 2, 3, 4, 5, 6, 7})
	sp2.SetStartTimestamp(gDay1)
	sp2.SetName("GET /api/v1/items/{id}")
	putMachineIDs(sp2.Attributes())
	sp2.Attributes().PutStr("url.full", "https://inventory.example.com/api/v1/items/42?expand=true")
	sp2.Attributes().PutStr("db.statement", "SELECT * FROM items WHERE id = 4111111111111112 AND ts > '2026-03-01 12:00:00'")
	sp2.Attributes().PutStr("trace.parent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	return td2
}

// logs_bodies: string, map and list bodies; event name; attributes; bytes; two days with daily rotation.
func goldenLogsBodies() plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", "auth")
	sl2 := rl.ScopeLogs().AppendEmpty()
	lr := sl2.LogRecords().AppendEmpty()
	lr.SetTimestamp(gDay1)
	lr.Body().SetStr("login ok for " + gEmail + " from " + gIP + " phone " + gPhone + " via https://auth.example.com/cb?code=xyz&state=1")
	lr.Attributes().PutStr("enduser.id", "jane")
	lr.Attributes().PutStr("http.request.header.cookie", "sid=abcdef")
	lr2 := sl2.LogRecords().AppendEmpty()
	lr2.SetTimestamp(gDay1)
	lr2.SetEventName("user.signup " + gEmail)
	bm := lr2.Body().SetEmptyMap()
	bm.PutStr("msg", "new user")
	bm.PutStr("email", gEmail2)
	user := bm.PutEmptyMap("user")
	user.PutStr("iban", gIBAN)
	user.PutStr("ssn_value", "536228726")
	user.PutStr("password", "s3cret!")
	lst := user.PutEmptySlice("contacts")
	lst.AppendEmpty().SetStr(gPhone)
	lst.AppendEmpty().SetEmptyMap().PutStr("mail", gEmail)
	bm.PutEmptyMap(gEmail).PutStr("k", "email as a map key")
	lr3 := sl2.LogRecords().AppendEmpty()
	lr3.SetTimestamp(gDay1)
	lr3.Body().SetStr("health check ok in 12ms trace_id=4bf92f3577b34da6a3ce929d0e0e4736")
	return ld
}

// logs_daily_rotation: the same address on two days, with daily key rotation.
func goldenLogsDailyRotation() plog.Logs {
	ldr := plog.NewLogs()
	srl := ldr.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty()
	for _, ts := range []pcommon.Timestamp{gDay1, gDay1 + 3600e9, gDay2} {
		r := srl.LogRecords().AppendEmpty()
		r.SetTimestamp(ts)
		r.Body().SetStr("order placed by " + gEmail)
	}
	return ldr
}

// metrics_all_types: every data point type with PII in attributes and exemplars; default action delete.
func goldenMetricsAllTypes() pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "checkout")
	rm.Resource().Attributes().PutStr("deployed.by", gEmail)
	sm := rm.ScopeMetrics().AppendEmpty()
	g := sm.Metrics().AppendEmpty()
	g.SetName("queue.depth")
	gdp := g.SetEmptyGauge().DataPoints().AppendEmpty()
	gdp.SetTimestamp(gDay1)
	gdp.SetIntValue(3)
	gdp.Attributes().PutStr("queue", "orders")
	gdp.Attributes().PutStr("owner", gEmail)
	s := sm.Metrics().AppendEmpty()
	s.SetName("http.requests")
	sdp := s.SetEmptySum().DataPoints().AppendEmpty()
	s.Sum().SetIsMonotonic(true)
	s.Sum().SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	sdp.SetTimestamp(gDay1)
	sdp.SetIntValue(10)
	sdp.Attributes().PutStr("http.route", "/users/{id}")
	sdp.Attributes().PutStr("client.address", gIP)
	sdp.Attributes().PutStr("user.id", "u-1")
	ex := sdp.Exemplars().AppendEmpty()
	ex.SetTimestamp(gDay1)
	ex.SetIntValue(1)
	ex.FilteredAttributes().PutStr("enduser.email_hint", gEmail)
	h := sm.Metrics().AppendEmpty()
	h.SetName("http.duration")
	hdp := h.SetEmptyHistogram().DataPoints().AppendEmpty()
	h.Histogram().SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	hdp.SetTimestamp(gDay1)
	hdp.SetCount(1)
	hdp.SetSum(0.5)
	hdp.Attributes().PutStr("url.path", "/users/"+gEmail)
	hex := hdp.Exemplars().AppendEmpty()
	hex.SetTimestamp(gDay1)
	hex.SetDoubleValue(0.5)
	hex.FilteredAttributes().PutStr("client.address", gIP)
	e := sm.Metrics().AppendEmpty()
	e.SetName("rpc.duration")
	edp := e.SetEmptyExponentialHistogram().DataPoints().AppendEmpty()
	e.ExponentialHistogram().SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
	edp.SetTimestamp(gDay1)
	edp.SetCount(1)
	edp.Attributes().PutStr("peer", gIPv6)
	edp.Attributes().PutStr("rpc.method", "Pay")
	su := sm.Metrics().AppendEmpty()
	su.SetName("latency.summary")
	sudp := su.SetEmptySummary().DataPoints().AppendEmpty()
	sudp.SetTimestamp(gDay1)
	sudp.SetCount(1)
	sudp.Attributes().PutStr("card", gCard)
	sudp.Attributes().PutStr("region", "eu-west-1")
	return md
}
