// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tenantrouter

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/http/httpguts"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-warden/otelcol-warden/internal/tenantid"
)

// The seed corpus of every fuzz test is committed under testdata/fuzz/<FuzzName>/; `go test` runs it
// as regression cases, `go test -fuzz FuzzName` explores from it.

// referenceTenantOK is the dskit rule written independently of validateTenant.
func referenceTenantOK(s string) bool {
	if len(s) < 1 || len(s) > 150 || s == "." || s == ".." {
		return false
	}
	const allowed = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!-_.*'()"
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(allowed, s[i]) < 0 {
			return false
		}
	}
	return true
}

// FuzzTenantValue checks tenant validation against an independent definition, that an accepted value
// is a safe header value, and that a value read from data becomes the tenant exactly when it is valid
// (otherwise it is counted with its reason and the record falls through to the default).
func FuzzTenantValue(f *testing.F) {
	for _, s := range []string{"payments", "", ".", "..", "...", "a/b", "a|b", "ops\r\nX-Evil: 1", "équipe", "a b",
		strings.Repeat("x", 150), strings.Repeat("x", 151), "!-_.*'()", "team\x00", "\xff", "-", "a:b"} {
		f.Add(s)
	}
	r := newResolver(&Config{Rules: []RuleConfig{
		{Attribute: "pii.scrubbed", Scope: ScopeRecord, Equals: "true", Tenant: "restricted"},
		{Attribute: "k8s.namespace.name", Scope: ScopeAny},
	}})
	f.Fuzz(func(t *testing.T, value string) {
		reason := tenantid.Validate(value)
		ok := referenceTenantOK(value)
		if (reason == tenantid.OK) != ok {
			t.Fatalf("tenantid.Validate(%q) = %q, reference says valid=%v", value, reason, ok)
		}
		if ok && (!httpguts.ValidHeaderFieldValue(value) || strings.ContainsAny(value, " \t\r\n|/")) {
			t.Fatalf("accepted %q is not a safe header value", value)
		}
		switch {
		case value == "" && reason != tenantid.Empty,
			len(value) > tenantid.MaxLength && reason != tenantid.TooLong,
			(value == "." || value == "..") && reason != tenantid.UnsafePathSegment:
			t.Fatalf("tenantid.Validate(%q) = %q: wrong reason", value, reason)
		}

		// As a resource attribute and as a record attribute ("any" scope reads the record first).
		for _, onRecord := range []bool{false, true} {
			record, resource := pcommon.NewMap(), pcommon.NewMap()
			target := resource
			if onRecord {
				target = record
				resource.PutStr("k8s.namespace.name", "from-resource")
			}
			target.PutStr("k8s.namespace.name", value)
			var tally batchTally
			got := r.resolve(record, resource, &tally)
			var plan resourcePlan
			var fast batchTally
			r.planResource(resource, &plan)
			if gotFast := r.resolveRecord(record, &plan, &fast); gotFast != got || fast != tally {
				t.Fatalf("resolveRecord = %q %+v, resolve = %q %+v", gotFast, fast, got, tally)
			}
			switch {
			case ok && got != value:
				t.Fatalf("valid %q resolved to %q", value, got)
			case !ok && got != "":
				// with scope any, a present record value decides the rule: invalid, the next rule
				// (none here) decides, not the resource's value of the same attribute
				t.Fatalf("invalid %q resolved to %q", value, got)
			case !ok && tally.rejected[reason] != 1:
				t.Fatalf("invalid %q not counted as %q: %+v", value, reason, tally)
			}
		}
	})
}

// putKind sets key to a value of the type kind selects, derived from text; kind 0 leaves it absent.
func putKind(m pcommon.Map, key string, kind uint8, text string) {
	switch kind % 8 {
	case 1:
		m.PutStr(key, text)
	case 2:
		m.PutBool(key, text != "" && text != "false")
	case 3:
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			n = int64(len(text))
		}
		m.PutInt(key, n)
	case 4:
		m.PutDouble(key, float64(len(text)))
	case 5:
		m.PutEmptyMap(key).PutStr("v", text)
	case 6:
		m.PutEmptyBytes(key).FromRaw([]byte(text))
	case 7:
		m.PutEmptySlice(key).AppendEmpty().SetStr(text)
	}
}

var fuzzRules = []RuleConfig{
	{Attribute: "pii.scrubbed", Scope: ScopeRecord, Equals: "true", Tenant: "restricted"},
	{Attribute: "tier", Scope: ScopeAny, Equals: "1", Tenant: "tier-one"},
	{Attribute: "team", Scope: ScopeAny, Mapping: map[string]string{"payments": "team-money", "checkout": "team-shop"}, Unmapped: UnmappedSkip},
	{Attribute: "k8s.namespace.name", Scope: ScopeResource},
	{Attribute: "fallback.ns", Scope: ScopeAny},
}

// FuzzResolve checks that the per-resource plan (planResource + resolveRecord, and the resource
// fallback used when no record rule finds its attribute) gives exactly the tenant and the rejection
// counts of evaluating every rule on every record, for attributes of any type and value, and that the
// result is always a valid tenant or none.
func FuzzResolve(f *testing.F) {
	f.Add(uint8(2), "true", uint8(0), "", uint8(1), "payments", uint8(1), "ns-a", uint8(0), "")
	f.Add(uint8(1), "true", uint8(3), "1", uint8(1), "nope", uint8(1), "ns/bad", uint8(1), "fb")
	f.Add(uint8(5), "x", uint8(1), "1", uint8(3), "7", uint8(3), "42", uint8(7), "")
	f.Add(uint8(0), "", uint8(0), "", uint8(0), "", uint8(1), "", uint8(1), "..")
	f.Add(uint8(3), "1", uint8(2), "true", uint8(6), "checkout", uint8(5), "m", uint8(1), "ok")
	allSkip := newResolver(&Config{Rules: fuzzRules})
	f.Fuzz(func(t *testing.T, markerKind uint8, marker string, tierKind uint8, tier string,
		teamKind uint8, team string, nsKind uint8, ns string, fbKind uint8, fb string) {
		record, resource := pcommon.NewMap(), pcommon.NewMap()
		putKind(record, "pii.scrubbed", markerKind, marker)
		// tier and team on the record or the resource (bit 3 of the kind), fallback.ns on both sides.
		tierMap, teamMap := record, record
		if tierKind&8 != 0 {
			tierMap = resource
		}
		if teamKind&8 != 0 {
			teamMap = resource
		}
		putKind(tierMap, "tier", tierKind, tier)
		putKind(teamMap, "team", teamKind, team)
		putKind(resource, "k8s.namespace.name", nsKind, ns)
		putKind(resource, "fallback.ns", fbKind, fb)
		putKind(record, "fallback.ns", fbKind>>4, fb+"-r")

		var want batchTally
		tenant := allSkip.resolve(record, resource, &want)
		if tenant != "" && tenantid.Validate(tenant) != tenantid.OK {
			t.Fatalf("resolved to invalid tenant %q", tenant)
		}
		var plan resourcePlan
		var got batchTally
		allSkip.planResource(resource, &plan)
		if planned := allSkip.resolveRecord(record, &plan, &got); planned != tenant || got != want {
			t.Fatalf("resolveRecord = %q %+v, resolve = %q %+v", planned, got, tenant, want)
		}
		if !allSkip.recordHits(record) {
			var fallback batchTally
			if fb := allSkip.resolveResource(&plan, 1, &fallback); fb != tenant || fallback != want {
				t.Fatalf("resource fallback = %q %+v, resolve = %q %+v", fb, fallback, tenant, want)
			}
		}
	})
}

var fuzzNamespaces = []string{"payments", "checkout", "search", "", "bad/ns", "..", "team-money", "x"}

// fuzzRecord is what a record of FuzzSplit should look like wherever it arrives.
type fuzzRecord struct {
	tenant, namespace, scope string
}

// FuzzSplit builds log and trace batches of any shape (resources, scopes, records; namespaces valid,
// invalid or absent; scrubbed or not; record-level team attributes) from the fuzz input, splits them,
// and checks that every record arrives exactly once, in the part of the tenant the reference resolver
// names, with its own resource and scope attributes.
func FuzzSplit(f *testing.F) {
	f.Add([]byte{0x00, 0x80, 0x81, 0x82, 0x40, 0x83, 0x01, 0x80, 0x80})
	f.Add([]byte{0x02, 0x81, 0x81, 0x81, 0x03, 0x40, 0x40, 0x80, 0x05, 0x87, 0x86})
	f.Add([]byte{0x80, 0x00, 0x00, 0x84, 0x85, 0x40, 0x83, 0x06, 0x07, 0x8a, 0x8c})
	f.Add([]byte{0x01, 0x80, 0x80, 0x80, 0x80, 0x81, 0x80, 0x80, 0x80, 0x80, 0x80})
	cfg := namespaceConfig("http://127.0.0.1:1")
	cfg.Rules = []RuleConfig{fuzzRules[0], fuzzRules[2], fuzzRules[3]}
	logs, err := newRouter(exportertest.NewNopSettings(exportertest.NopType), cfg, logsOps, "")
	if err != nil {
		f.Fatal(err)
	}
	traces, err := newRouter(exportertest.NewNopSettings(exportertest.NopType), cfg, tracesOps, "")
	if err != nil {
		f.Fatal(err)
	}
	logs.lanes.host, traces.lanes.host = componenttest.NewNopHost(), componenttest.NewNopHost()
	f.Cleanup(func() {
		_ = logs.lanes.shutdown(context.Background())
		_ = traces.lanes.shutdown(context.Background())
	})
	ref := newResolver(cfg)

	f.Fuzz(func(t *testing.T, layout []byte) {
		if len(layout) > 512 {
			layout = layout[:512]
		}
		ld, td := plog.NewLogs(), ptrace.NewTraces()
		want := map[string]fuzzRecord{}
		var rl plog.ResourceLogs
		var rs ptrace.ResourceSpans
		var sl plog.ScopeLogs
		var ss ptrace.ScopeSpans
		ns, scopeName, scopes := "", "", 0
		newResource := func(b byte) {
			rl, rs = ld.ResourceLogs().AppendEmpty(), td.ResourceSpans().AppendEmpty()
			ns = fuzzNamespaces[b&7]
			if b&7 != 3 { // index 3: no namespace attribute at all
				rl.Resource().Attributes().PutStr("k8s.namespace.name", ns)
				rs.Resource().Attributes().PutStr("k8s.namespace.name", ns)
			}
			if b&8 != 0 { // a namespace of the wrong type
				rl.Resource().Attributes().PutInt("k8s.namespace.name", 7)
				rs.Resource().Attributes().PutInt("k8s.namespace.name", 7)
				ns = "7"
			}
			sl, ss = plog.ScopeLogs{}, ptrace.ScopeSpans{}
		}
		newScope := func() {
			scopes++
			scopeName = fmt.Sprintf("scope-%d", scopes)
			sl, ss = rl.ScopeLogs().AppendEmpty(), rs.ScopeSpans().AppendEmpty()
			sl.Scope().SetName(scopeName)
			ss.Scope().SetName(scopeName)
		}
		newResource(0)
		for i, b := range layout {
			switch b >> 6 {
			case 0:
				newResource(b)
			case 1:
				newScope()
			default:
				if sl == (plog.ScopeLogs{}) {
					newScope()
				}
				id := strconv.Itoa(i)
				lr, span := sl.LogRecords().AppendEmpty(), ss.Spans().AppendEmpty()
				for _, attrs := range []pcommon.Map{lr.Attributes(), span.Attributes()} {
					attrs.PutStr("id", id)
					if b&1 != 0 {
						attrs.PutBool("pii.scrubbed", true)
					}
					switch (b >> 1) & 3 {
					case 1:
						attrs.PutStr("team", "payments")
					case 2:
						attrs.PutStr("team", "unknown")
					case 3:
						attrs.PutInt("team", 1)
					}
				}
				var tally batchTally
				tenant := ref.resolve(lr.Attributes(), rl.Resource().Attributes(), &tally)
				if tenant == "" {
					tenant = cfg.DefaultTenant
				}
				want[id] = fuzzRecord{tenant: tenant, namespace: ns, scope: scopeName}
			}
		}

		logBatch := logs.newBatch(context.Background())
		splitLogs(ld, logBatch)
		traceBatch := traces.newBatch(context.Background())
		splitTraces(td, traceBatch)

		seen := map[string]bool{}
		check := func(signal, tenant string, res pcommon.Map, scope string, attrs pcommon.Map) {
			id := attrText(attrs)
			w, ok := want[id]
			key := signal + "/" + id
			switch {
			case !ok:
				t.Fatalf("%s: unknown record %q", signal, id)
			case seen[key]:
				t.Fatalf("%s: record %s delivered twice", signal, id)
			case w.tenant != tenant:
				t.Fatalf("%s: record %s went to %q, want %q", signal, id, tenant, w.tenant)
			case w.scope != scope:
				t.Fatalf("%s: record %s in scope %q, want %q", signal, id, scope, w.scope)
			case nsText(res) != w.namespace:
				t.Fatalf("%s: record %s with resource namespace %q, want %q", signal, id, nsText(res), w.namespace)
			}
			seen[key] = true
		}
		for _, p := range logBatch.parts {
			if p.data.LogRecordCount() == 0 {
				t.Fatalf("logs: empty request for %s", p.lane.tenant)
			}
			for i := 0; i < p.data.ResourceLogs().Len(); i++ {
				prl := p.data.ResourceLogs().At(i)
				for j := 0; j < prl.ScopeLogs().Len(); j++ {
					psl := prl.ScopeLogs().At(j)
					for k := 0; k < psl.LogRecords().Len(); k++ {
						check("logs", p.lane.tenant, prl.Resource().Attributes(), psl.Scope().Name(), psl.LogRecords().At(k).Attributes())
					}
				}
			}
		}
		for _, p := range traceBatch.parts {
			if p.data.SpanCount() == 0 {
				t.Fatalf("traces: empty request for %s", p.lane.tenant)
			}
			for i := 0; i < p.data.ResourceSpans().Len(); i++ {
				prs := p.data.ResourceSpans().At(i)
				for j := 0; j < prs.ScopeSpans().Len(); j++ {
					pss := prs.ScopeSpans().At(j)
					for k := 0; k < pss.Spans().Len(); k++ {
						check("traces", p.lane.tenant, prs.Resource().Attributes(), pss.Scope().Name(), pss.Spans().At(k).Attributes())
					}
				}
			}
		}
		if len(seen) != 2*len(want) {
			t.Fatalf("%d records delivered, want %d (logs and traces)", len(seen), 2*len(want))
		}
	})
}

func attrText(m pcommon.Map) string {
	v, _ := m.Get("id")
	return v.Str()
}

func nsText(m pcommon.Map) string {
	if v, ok := m.Get("k8s.namespace.name"); ok {
		return v.AsString()
	}
	return ""
}
