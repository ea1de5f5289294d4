package wardenstatus // import "github.com/otelcol-warden/otelcol-warden/extension/wardenstatus"

import (
	"fmt"
	"html/template"
	"strings"
)

// Charts are inline SVG drawn on the server, so they need neither JavaScript nor a chart library.

// maxCharts bounds the page: processors and components with providers first.
const maxCharts = 12

const (
	chartW, chartH = 300.0, 100.0
)

type chartView struct {
	Key, Title string
	SVG        template.HTML
}

func charts(h historyDoc) []chartView {
	var out []chartView
	for pass := 0; pass < 2; pass++ {
		for _, s := range h.Series {
			interesting := s.Kind == "processor" || s.Kind == "connector"
			if (pass == 0) != interesting || len(out) == maxCharts {
				continue
			}
			out = append(out, chartView{Key: s.Kind + "/" + s.ID, Title: s.Kind + " " + s.ID, SVG: chartSVG(s)})
		}
	}
	return out
}

func chartSVG(s seriesDoc) template.HTML {
	peak := uint64(1)
	for _, vs := range [][]uint64{s.InItems, s.OutItems, s.RemovedItems} {
		for _, v := range vs {
			peak = max(peak, v)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg viewBox="0 0 %.0f %.0f" preserveAspectRatio="none" role="img" aria-label="%s">`, chartW, chartH+12,
		template.HTMLEscapeString(s.Kind+" "+s.ID+" items per interval"))
	for _, line := range []struct {
		class string
		vs    []uint64
	}{{"in", s.InItems}, {"out", s.OutItems}, {"removed", s.RemovedItems}} {
		b.WriteString(`<polyline class="` + line.class + `" points="` + points(line.vs, peak) + `"/>`)
	}
	fmt.Fprintf(&b, `<text x="2" y="10">%s</text><text x="2" y="%.0f">0</text>`, formatCount(peak), chartH+10)
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // built from numbers and an escaped label only
}

func points(vs []uint64, peak uint64) string {
	if len(vs) == 0 {
		return ""
	}
	if len(vs) == 1 {
		vs = []uint64{vs[0], vs[0]}
	}
	var b strings.Builder
	step := chartW / float64(len(vs)-1)
	for i, v := range vs {
		y := 12 + (chartH-12)*(1-float64(v)/float64(peak))
		fmt.Fprintf(&b, "%.1f,%.1f ", float64(i)*step, y)
	}
	return strings.TrimSpace(b.String())
}

// sparkSeries is one line of a sparkline: its CSS class (in, out, removed) and its values.
type sparkSeries struct {
	class  string
	values []uint64
}

const sparkW, sparkH = 120.0, 28.0

// sparkline is a small inline chart for a table row (a rule's kept and dropped traces, a type's
// detections per interval); label is its accessible name. Empty without at least one interval.
func sparkline(label string, lines ...sparkSeries) template.HTML {
	peak, n := uint64(1), 0
	for _, l := range lines {
		n = max(n, len(l.values))
		for _, v := range l.values {
			peak = max(peak, v)
		}
	}
	if n == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="spark" viewBox="0 0 %.0f %.0f" preserveAspectRatio="none" role="img" aria-label="%s">`,
		sparkW, sparkH, template.HTMLEscapeString(label))
	for _, l := range lines {
		b.WriteString(`<polyline class="` + l.class + `" points="` + scaledPoints(l.values, peak, sparkW, sparkH, 2) + `"/>`)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // numbers and an escaped label only
}

// scaledPoints places vs across w, 0 at the bottom of h and peak pad below its top.
func scaledPoints(vs []uint64, peak uint64, w, h, pad float64) string {
	if len(vs) == 0 {
		return ""
	}
	if len(vs) == 1 {
		vs = []uint64{vs[0], vs[0]}
	}
	var b strings.Builder
	step := w / float64(len(vs)-1)
	for i, v := range vs {
		y := pad + (h-2*pad)*(1-float64(v)/float64(peak))
		fmt.Fprintf(&b, "%.1f,%.1f ", float64(i)*step, y)
	}
	return strings.TrimSpace(b.String())
}
