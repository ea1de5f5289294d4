package wardenstatus // import "github.com/otelcol-warden/otelcol-warden/extension/wardenstatus"

import (
	"encoding/json"
	"fmt"
	"html/template"
	"sort"
	"strings"
)

// renderValue turns a provider's (already redacted) snapshot into HTML tables without knowing its
// shape: objects become key/value tables, lists of objects become tables with a column per key
// (the top offenders and templates), other lists a comma-separated line. Bounded in depth,
// rows and columns; every string is escaped.

const (
	maxRenderDepth = 4
	maxRenderRows  = 20
	maxRenderCols  = 10
)

func renderValue(v any) template.HTML {
	var b strings.Builder
	renderInto(&b, v, 0)
	return template.HTML(b.String()) //nolint:gosec // every string written is escaped
}

func renderInto(b *strings.Builder, v any, depth int) {
	esc := template.HTMLEscapeString
	switch t := v.(type) {
	case nil:
		b.WriteString("–")
	case map[string]any:
		if depth >= maxRenderDepth {
			b.WriteString("…")
			return
		}
		b.WriteString(`<table class="kv"><tbody>`)
		for _, k := range sortedKeys(t) {
			b.WriteString("<tr><th>" + esc(k) + "</th><td>")
			renderInto(b, t[k], depth+1)
			b.WriteString("</td></tr>")
		}
		b.WriteString("</tbody></table>")
	case []any:
		if rows, cols, ok := objectRows(t); ok && depth < maxRenderDepth {
			b.WriteString("<table><thead><tr>")
			for _, c := range cols {
				b.WriteString("<th>" + esc(c) + "</th>")
			}
			b.WriteString("</tr></thead><tbody>")
			for _, r := range rows {
				b.WriteString("<tr>")
				for _, c := range cols {
					b.WriteString("<td>")
					renderInto(b, r[c], maxRenderDepth)
					b.WriteString("</td>")
				}
				b.WriteString("</tr>")
			}
			b.WriteString("</tbody></table>")
			if len(t) > maxRenderRows {
				fmt.Fprintf(b, `<p class="note">%d more in the API</p>`, len(t)-maxRenderRows)
			}
			return
		}
		for i, e := range t {
			if i == maxRenderRows {
				b.WriteString(", …")
				break
			}
			if i > 0 {
				b.WriteString(", ")
			}
			renderInto(b, e, maxRenderDepth)
		}
	case float64:
		if t == float64(uint64(t)) && t >= 0 && t < 1e15 {
			b.WriteString(formatCount(uint64(t)))
		} else {
			fmt.Fprintf(b, "%.4g", t)
		}
	case string:
		b.WriteString(esc(t))
	default:
		raw, _ := json.Marshal(t)
		b.WriteString(esc(string(raw)))
	}
}

// objectRows: a non-empty list of objects, its first maxRenderRows rows and the union of keys.
func objectRows(list []any) ([]map[string]any, []string, bool) {
	if len(list) == 0 {
		return nil, nil, false
	}
	var rows []map[string]any
	colSet := map[string]bool{}
	for i, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, nil, false
		}
		if i < maxRenderRows {
			rows = append(rows, m)
			for k := range m {
				colSet[k] = true
			}
		}
	}
	cols := sortedKeys(colSet)
	if len(cols) > maxRenderCols {
		cols = cols[:maxRenderCols]
	}
	return rows, cols, true
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
