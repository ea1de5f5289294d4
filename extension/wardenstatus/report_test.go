package wardenstatus

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"

	"github.com/otelcol-warden/otelcol-warden/internal/statusapi"
)

// testdata/reports/<kind>.json are the API's answers after `make demo`'s traffic; each provider's
// snapshot is registered again as it was served.
func registerRecorded(t *testing.T, f *fixture, kind statusapi.Kind) []providerSnapshot {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "reports", string(kind)+".json"))
	require.NoError(t, err)
	var doc struct {
		Data providersDoc `json:"data"`
	}
	require.NoError(t, json.Unmarshal(raw, &doc))
	require.NotEmpty(t, doc.Data.Providers)
	for _, ps := range doc.Data.Providers {
		snap := ps.Snapshot
		var id component.ID
		require.NoError(t, id.UnmarshalText([]byte(ps.Component)))
		f.ext.RegisterStatusProvider(id, kind, statusapi.ProviderFunc(func() any { return snap }))
	}
	return doc.Data.Providers
}

var (
	metricValue   = regexp.MustCompile(`data-metric="([^"]+)" data-value="([^"]*)">([^<]*)<`)
	sectionOfKind = func(kind statusapi.Kind) *regexp.Regexp {
		return regexp.MustCompile(`(?s)<section class="report" id="report-` + string(kind) + `">(.*?)</section>`)
	}
)

// shownFigures maps "provider metric" to the data-value of every figure of a kind's section,
// checking that the text shown is the same number.
func shownFigures(t *testing.T, page string, kind statusapi.Kind) map[string]string {
	t.Helper()
	m := sectionOfKind(kind).FindStringSubmatch(page)
	require.NotNil(t, m, "section %s", kind)
	section := m[1] + "</section>"
	out := map[string]string{}
	for _, block := range strings.Split(section, `<div class="provider" data-provider="`)[1:] {
		b := strings.SplitN(block, `"`, 2)
		for _, fv := range metricValue.FindAllStringSubmatch(b[1], -1) {
			name, value, text := html.UnescapeString(fv[1]), html.UnescapeString(fv[2]), html.UnescapeString(fv[3])
			out[b[0]+" "+name] = value
			if _, err := fmt.Sscan(value, new(uint64)); err == nil && !strings.Contains(text, "B") {
				assert.Equal(t, value, strings.ReplaceAll(text, ",", ""), "%s %s: shown text", b[0], name)
			}
		}
	}
	return out
}

func TestReportSectionsShowTheAPIFigures(t *testing.T) {
	f := start(t, nil, nil)
	recorded := map[statusapi.Kind][]providerSnapshot{}
	for _, kind := range []statusapi.Kind{statusapi.KindTail, statusapi.KindCardinality, statusapi.KindPII, statusapi.KindUsage, statusapi.KindLogs} {
		recorded[kind] = registerRecorded(t, f, kind)
	}
	f.snapshot(time.Minute)
	code, page := get(t, f.base+"/")
	require.Equal(t, http.StatusOK, code)
	want := expectedFigures(t, recorded)
	for kind, figures := range want {
		shown := shownFigures(t, page, kind)
		for key, value := range figures {
			assert.Equal(t, value, shown[key], "%s: %s", kind, key)
		}
	}
	for _, s := range []string{"/users/{email}/profile", "cache miss for key product:&lt;*&gt;, loading from postgres took &lt;*&gt;", "080f284c", `class="spark"`} {
		assert.Contains(t, page, s)
	}
	assert.NotContains(t, page, `class="kv"`, "no generic tables for the known kinds")
	assert.NotContains(t, page, "ZgotmplZ", "no value rejected by html/template")
}

// expectedFigures reads the recorded API answers as plain JSON, independently of the views:
// per kind, "provider metric" -> value.
func expectedFigures(t *testing.T, recorded map[statusapi.Kind][]providerSnapshot) map[statusapi.Kind]map[string]string {
	t.Helper()
	out := map[statusapi.Kind]map[string]string{}
	set := func(kind statusapi.Kind, provider, metric string, v any) {
		if out[kind] == nil {
			out[kind] = map[string]string{}
		}
		if f, ok := v.(float64); ok {
			v = strconv.FormatFloat(f, 'f', -1, 64)
		}
		out[kind][provider+" "+metric] = fmt.Sprint(v)
	}
	for kind, providers := range recorded {
		for _, ps := range providers {
			key := fmt.Sprintf("%s#%d", ps.Component, ps.Instance)
			snap := ps.Snapshot.(map[string]any)
			switch kind {
			case statusapi.KindTail:
				for _, r := range snap["rules"].([]any) {
					rule := r.(map[string]any)
					if rule["kept_traces"].(float64)+rule["dropped_traces"].(float64) > 0 {
						set(kind, key, "tail.rule."+rule["rule"].(string)+".kept_traces", rule["kept_traces"])
						set(kind, key, "tail.rule."+rule["rule"].(string)+".dropped_traces", rule["dropped_traces"])
					}
				}
			case statusapi.KindCardinality:
				data := snap["data"].(map[string]any)
				set(kind, key, "cardinality.num_series", data["headStats"].(map[string]any)["numSeries"])
				for list, prefix := range map[string]string{"seriesCountByMetricName": "metric", "labelValueCountByLabelName": "label"} {
					for _, nv := range data[list].([]any) {
						set(kind, key, "cardinality."+prefix+"."+nv.(map[string]any)["name"].(string), nv.(map[string]any)["value"])
					}
				}
			case statusapi.KindPII:
				set(kind, key, "pii.detections", snap["detections"])
				for typ, n := range snap["by_type"].(map[string]any) {
					set(kind, key, "pii.type."+typ, n)
				}
			case statusapi.KindUsage:
				for _, tm := range snap["teams"].([]any) {
					team := tm.(map[string]any)
					var records float64
					for _, sig := range team["signals"].([]any) {
						records += sig.(map[string]any)["records"].(float64)
					}
					prefix := "usage." + snap["stage"].(string) + "." + team["team"].(string)
					set(kind, "usage", prefix+".records", records)
					set(kind, "usage", prefix+".bytes", team["bytes"])
				}
			case statusapi.KindLogs:
				for _, svc := range snap["services"].([]any) {
					for _, tpl := range svc.(map[string]any)["top_templates"].([]any) {
						tm := tpl.(map[string]any)
						set(kind, key, "logs.template."+tm["id"].(string)+".suppressed", tm["suppressed"])
					}
				}
			}
		}
	}
	return out
}

// The retention section shows tail_policy's retention report (the traces, bytes and age it
// reaches back), how to get a trace back, and says what to configure while nothing retains.
func TestRetentionSection(t *testing.T) {
	f := start(t, nil, nil)
	code, page := get(t, f.base+"/")
	require.Equal(t, http.StatusOK, code)
	section := sectionOfKind(statusapi.KindTailRetention).FindStringSubmatch(page)
	require.NotNil(t, section)
	assert.Contains(t, section[1], "wal.retain_dropped", "off: names the setting")

	report := map[string]any{
		"traces": 1234, "bytes": 3 << 20, "limit_bytes": 512 << 20, "max_age_seconds": 3600,
		"oldest_age_seconds": 754, "max_keep_traces": 100,
	}
	f.ext.RegisterStatusProvider(component.MustNewID("tail_policy"), statusapi.KindTailRetention,
		statusapi.ProviderFunc(func() any { return report }))
	_, page = get(t, f.base+"/")
	assert.Equal(t, map[string]string{
		"tail_policy#0 retention.traces": "1234",
		"tail_policy#0 retention.bytes":  strconv.Itoa(3 << 20),
	}, shownFigures(t, page, statusapi.KindTailRetention))
	section = sectionOfKind(statusapi.KindTailRetention).FindStringSubmatch(page)
	for _, s := range []string{"1,234", "3.0 MiB", "of 512.0 MiB (0.6%)", "12m34s", "kept for up to 1h0m0s",
		"GET /api/v1/tail/traces/{trace_id}", "POST /api/v1/tail/keep", "at most 100 traces"} {
		assert.Contains(t, html.UnescapeString(section[1]), s)
	}
	assert.NotContains(t, section[1], "wal.retain_dropped")
	assert.NotContains(t, section[1], `class="kv"`, "its own view, not the generic tables")

	report["traces"], report["bytes"], report["oldest_age_seconds"] = 0, 0, 0
	_, page = get(t, f.base+"/")
	section = sectionOfKind(statusapi.KindTailRetention).FindStringSubmatch(page)
	assert.Contains(t, section[1], `<span class="figure">–</span>`, "empty: no age to reach back to")
}
