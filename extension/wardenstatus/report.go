package wardenstatus // import "github.com/otelcol-warden/otelcol-warden/extension/wardenstatus"

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"

	"github.com/otelcol-warden/otelcol-warden/internal/statusapi"
)

// The report sections of the page: one purpose-built view per kind (report_<kind>.go builds it,
// web/report_<kind>.html.tmpl renders it), from the same redacted snapshots the API serves. The
// extension imports no component, so each view decodes the snapshot's JSON into its own copy of
// the fields it shows; a snapshot of another shape is shown as generic tables (render.go).

type reportView struct {
	Kind    statusapi.Kind
	Title   string
	Message string
	Blocks  []blockView
}

// blockView is one provider's part of a section (usage merges its stages into one block).
type blockView struct {
	Key   string // data-provider: "<component>#<instance>", or the kind for merged blocks
	Title string
	Error string
	Body  template.HTML
}

// reportTitles lists the sections in page order; empty, when set, replaces the generic message
// shown while no component provides the kind.
var reportTitles = []struct {
	kind  statusapi.Kind
	title string
	empty string
}{
	{statusapi.KindTail, "Tail sampling: kept and dropped by rule", ""},
	{statusapi.KindCardinality, "Cardinality: top metrics and labels", ""},
	{statusapi.KindPII, "Personal data found, by type and location", ""},
	{statusapi.KindUsage, "Usage by team: received and exported", ""},
	{statusapi.KindLogs, "Log templates folded", ""},
	{statusapi.KindTailRetention, "Dropped traces retained on disk",
		"Off: tail_policy retains the traces it drops only with wal.retain_dropped set (configs/gateway.yaml sets it)."},
}

// reportViews builds every section; past is the history ring (oldest first) for the charts.
func (e *statusExtension) reportViews(past []collection) []reportView {
	var out []reportView
	for _, rt := range reportTitles {
		rv := reportView{Kind: rt.kind, Title: rt.title}
		snaps := e.registry.snapshots(rt.kind)
		if rt.kind == statusapi.KindUsage {
			rv.Blocks = usageBlocks(snaps)
		} else {
			for _, ps := range snaps {
				rv.Blocks = append(rv.Blocks, providerBlock(rt.kind, ps, past))
			}
		}
		switch {
		case len(snaps) > 0:
		case rt.empty != "":
			rv.Message = rt.empty
		default:
			rv.Message = fmt.Sprintf("No component provides this yet (%s registers it once wired).", providedBy[rt.kind])
		}
		out = append(out, rv)
	}
	return out
}

// providerBlock renders one provider's snapshot with its kind's view, or generically.
func providerBlock(kind statusapi.Kind, ps providerSnapshot, past []collection) blockView {
	b := blockView{Key: fmt.Sprintf("%s#%d", ps.Component, ps.Instance), Title: ps.Component, Error: ps.Error}
	if ps.Instance > 0 {
		b.Title += fmt.Sprintf(" #%d", ps.Instance)
	}
	if ps.Error != "" {
		return b
	}
	key := seriesOwner{component: ps.Component, instance: ps.Instance}
	var view any
	switch kind {
	case statusapi.KindTail:
		view = tailViewOf(ps.Snapshot, key, past)
	case statusapi.KindCardinality:
		view = cardinalityViewOf(ps.Snapshot, key, past)
	case statusapi.KindPII:
		view = piiViewOf(ps.Snapshot, key, past)
	case statusapi.KindLogs:
		view = logsViewOf(ps.Snapshot)
	case statusapi.KindTailRetention:
		view = retentionViewOf(ps.Snapshot)
	}
	if pv, ok := view.(*piiView); ok && len(pv.Signals) == 1 {
		b.Title += " · " + pv.Signals[0].Signal + " pipeline" // pii_scrub runs once per signal
	}
	b.Body = renderReport("report-"+string(kind), view, ps.Snapshot)
	return b
}

// renderReport executes the kind's template with view; a nil view (a snapshot of another shape)
// or a failing template falls back to the generic tables.
func renderReport(name string, view, snapshot any) template.HTML {
	if view == nil {
		return renderValue(snapshot)
	}
	var buf bytes.Buffer
	if err := pageTemplate.ExecuteTemplate(&buf, name, view); err != nil {
		return renderValue(snapshot)
	}
	return template.HTML(buf.String()) //nolint:gosec // html/template output
}

// decodeAs copies a redacted snapshot (JSON values) into T, the fields a view reads.
func decodeAs[T any](snapshot any) (T, bool) {
	var v T
	raw, err := json.Marshal(snapshot)
	if err != nil {
		return v, false
	}
	return v, json.Unmarshal(raw, &v) == nil
}
