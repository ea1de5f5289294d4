package wardenstatus // import "github.com/otelcol-warden/otelcol-warden/extension/wardenstatus"

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"time"
)

// The page is server-rendered from embedded files: every number is in the HTML (no JavaScript),
// nothing is loaded from elsewhere, and it reloads itself every page_refresh.

//go:embed web
var webFiles embed.FS

var pageTemplate = template.Must(template.New("index.html.tmpl").Funcs(template.FuncMap{
	"num":      formatCount,
	"pct":      func(r float64) string { return fmt.Sprintf("%.1f%%", r*100) },
	"bytes":    formatBytes,
	"duration": func(s int64) string { return (time.Duration(s) * time.Second).String() },
	"barsOf": func(prefix, nameHeader, valueHeader string, rows []barRow) any {
		return struct {
			Prefix, NameHeader, ValueHeader string
			Rows                            []barRow
		}{prefix, nameHeader, valueHeader, rows}
	},
	"countsOf": func(prefix, nameHeader string, rows []countRow) any {
		return struct {
			Prefix, NameHeader string
			Rows               []countRow
		}{prefix, nameHeader, rows}
	},
}).ParseFS(webFiles, "web/*.html.tmpl"))

func staticHandler() http.Handler {
	sub, _ := fs.Sub(webFiles, "web")
	return http.StripPrefix("/static/", http.FileServerFS(sub))
}

type pageData struct {
	Summary          summaryDoc
	SelfMetricsClass string
	RefreshSeconds   int
	Generated        string
	IntervalText     string
	Pipelines        []pipelineView
	Charts           []chartView
	Reports          []reportView
}

type pipelineView struct {
	ID    string
	Nodes []nodeView
}

type nodeView struct {
	ID, Kind, Health, Reduction string
}

func (e *statusExtension) servePage(w http.ResponseWriter, r *http.Request) {
	now := e.now()
	sum := e.buildSummary(r.Context(), now)
	data := pageData{
		Summary:          sum,
		SelfMetricsClass: sum.SelfMetrics,
		RefreshSeconds:   int(e.cfg.PageRefresh.Seconds()),
		Generated:        now.UTC().Format("15:04:05 UTC"),
		IntervalText:     intervalText(e.cfg.SnapshotInterval),
		Pipelines:        pipelineViews(sum),
		Charts:           charts(e.buildHistory(r.Context(), now, now.Add(-time.Hour))),
	}
	data.Reports = e.reportViews(e.withNow(now))
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, data); err != nil {
		http.Error(w, "rendering the page failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}

func pipelineViews(sum summaryDoc) []pipelineView {
	byKey := map[string]componentDoc{}
	for _, c := range sum.Components {
		byKey[c.ID] = c
	}
	views := make([]pipelineView, 0, len(sum.Pipelines))
	for _, p := range sum.Pipelines {
		v := pipelineView{ID: p.ID}
		for _, ids := range [][]string{p.Receivers, p.Processors, p.Exporters} {
			for _, id := range ids {
				c := byKey[id]
				n := nodeView{ID: id, Kind: c.Kind, Health: c.Health}
				if n.Health == "" {
					n.Health = "unknown"
				}
				if c.Lifetime.ReductionRatio > 0 {
					n.Reduction = fmt.Sprintf("%.1f%%", c.Lifetime.ReductionRatio*100)
				}
				v.Nodes = append(v.Nodes, n)
			}
		}
		views = append(views, v)
	}
	return views
}

func intervalText(d time.Duration) string {
	if d == time.Minute {
		return "minute"
	}
	return d.String()
}

// formatCount writes n with thousands separators (12,345).
func formatCount(n uint64) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func formatBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
