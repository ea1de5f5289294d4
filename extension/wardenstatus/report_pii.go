package wardenstatus // import "github.com/otelcol-warden/otelcol-warden/extension/wardenstatus"

import (
	"html/template"
	"sort"
)

// The pii section: how many findings pii_scrub replaced, by type (with the last hour per type)
// and by location and action, and per signal the records scanned, scrubbed and dropped. Counts
// only: the snapshot has no value, pseudonym or attribute key from the data.

// piiSnapshot is what the section reads (processor/piiscrub/status.go PIIStatus).
type piiSnapshot struct {
	Detections uint64            `json:"detections"`
	ByType     map[string]uint64 `json:"by_type"`
	ByLocation map[string]uint64 `json:"by_location"`
	ByAction   map[string]uint64 `json:"by_action"`
	Signals    map[string]struct {
		RecordsScanned  uint64            `json:"records_scanned"`
		RecordsScrubbed uint64            `json:"records_scrubbed"`
		RecordsDropped  map[string]uint64 `json:"records_dropped"`
		Detections      uint64            `json:"detections"`
	} `json:"signals"`
}

type piiView struct {
	Detections uint64
	ByType     []countRow
	ByLocation []countRow
	ByAction   []countRow
	Signals    []piiSignalRow
}

// countRow is one entry of a by-X map: its count, share of the total, bar width, and chart.
type countRow struct {
	Name         string
	Count        uint64
	Share, Width string
	Chart        template.HTML
}

type piiSignalRow struct {
	Signal                               string
	Scanned, Scrubbed, Dropped, Detected uint64
}

func piiViewOf(snapshot any, owner seriesOwner, past []collection) any {
	snap, ok := decodeAs[piiSnapshot](snapshot)
	if !ok || snap.ByType == nil {
		return nil
	}
	v := &piiView{Detections: snap.Detections, ByType: countRows(snap.ByType, snap.Detections),
		ByLocation: countRows(snap.ByLocation, snap.Detections), ByAction: countRows(snap.ByAction, snap.Detections)}
	since := pastHour(past)
	for i := range v.ByType {
		per := perInterval(past, seriesKey{owner, "type/" + v.ByType[i].Name}, since)
		v.ByType[i].Chart = sparkline(v.ByType[i].Name+": detections per interval, last hour", sparkSeries{"removed", per})
	}
	for name, s := range snap.Signals {
		var dropped uint64
		for _, n := range s.RecordsDropped {
			dropped += n
		}
		v.Signals = append(v.Signals, piiSignalRow{Signal: name, Scanned: s.RecordsScanned, Scrubbed: s.RecordsScrubbed, Dropped: dropped, Detected: s.Detections})
	}
	sort.Slice(v.Signals, func(i, j int) bool { return v.Signals[i].Signal < v.Signals[j].Signal })
	return v
}

// countRows orders a by-X map by count (then name) with shares of total.
func countRows(m map[string]uint64, total uint64) []countRow {
	peak := uint64(1)
	out := make([]countRow, 0, len(m))
	for name, n := range m {
		peak = max(peak, n)
		out = append(out, countRow{Name: name, Count: n, Share: share(n, total)})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Name < out[j].Name
	})
	for i := range out {
		out[i].Width = barWidth(out[i].Count, peak)
	}
	return out
}
