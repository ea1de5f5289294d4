package wardenstatus

import (
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/otelcol-warden/otelcol-warden/internal/statusapi"
)

func FuzzRedactString(f *testing.F) {
	for _, s := range append([]string{"http.route", "/api/{id}", "hash:0a1b2c3d", "", "user <?> from <*>", `said "<*>"`}, canaries...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := redactString(s)
		if out != s && !statusapi.IsHashedName(out) {
			t.Fatalf("redactString(%q) = %q: neither verbatim nor hashed", s, out)
		}
		if redactString(out) != out {
			t.Fatalf("redactString is not idempotent on %q", out)
		}
		// log_reduce's placeholders are the only markup-like text shown; quotes are escaped by the page.
		bare := strings.NewReplacer("<*>", "", "<?>", "").Replace(s)
		if out == s && (strings.ContainsAny(bare, "@<>&") || len(s) > maxPlainLen || strings.Contains(s, "pii:")) {
			t.Fatalf("%q shown verbatim", s)
		}
	})
}

func FuzzParseTraceID(f *testing.F) {
	f.Add("0102030405060708090a0b0c0d0e0f10")
	f.Add("00000000000000000000000000000000")
	f.Add("jane@example.com")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := parseTraceID(s)
		if err != nil {
			if len(s) >= 12 && strings.Contains(err.Error(), s) {
				t.Fatalf("error %q repeats the input", err)
			}
			return
		}
		if id.IsEmpty() || !strings.EqualFold(hex.EncodeToString(id[:]), s) {
			t.Fatalf("parseTraceID(%q) = %x", s, id)
		}
	})
}

// FuzzReportSections: any JSON a provider returns renders in every kind's section without a
// panic and without markup from the snapshot.
func FuzzReportSections(f *testing.F) {
	f.Add(`{"rules":[{"rule":"errors","kept_traces":3}],"baselines":[{"route":"/a/{id}"}]}`)
	f.Add(`{"data":{"headStats":{"numSeries":2},"seriesCountByMetricName":[{"name":"m","value":2}]}}`)
	f.Add(`{"by_type":{"email":2},"signals":{"logs":{"records_scanned":1}}}`)
	f.Add(`{"stage":"received","teams":[{"team":"a","signals":[{"records":1,"budget":{"throttled":true}}]}]}`)
	f.Add(`{"services":[{"service":"s","top_templates":[{"id":"0a1b2c3d","shape":"x <*>"}]}]}`)
	f.Add(`{"traces":3,"bytes":4096,"limit_bytes":0,"max_age_seconds":-1,"oldest_age_seconds":1e300}`)
	f.Add(`[1,"<script>",{"rules":null}]`)
	f.Fuzz(func(t *testing.T, raw string) {
		var snap any
		if json.Unmarshal([]byte(raw), &snap) != nil {
			return
		}
		for _, kind := range []statusapi.Kind{statusapi.KindTail, statusapi.KindCardinality, statusapi.KindPII, statusapi.KindLogs, statusapi.KindUsage, statusapi.KindTailRetention} {
			redacted := redactValue(kind, "", snap)
			ps := providerSnapshot{Component: "c", Snapshot: redacted}
			var blocks []blockView
			if kind == statusapi.KindUsage {
				blocks = usageBlocks([]providerSnapshot{ps})
			} else {
				blocks = []blockView{providerBlock(kind, ps, nil)}
			}
			for _, b := range blocks {
				if strings.Contains(strings.ToLower(string(b.Body)), "<script") {
					t.Fatalf("%s: markup from the snapshot in %s", kind, b.Body)
				}
			}
		}
	})
}
