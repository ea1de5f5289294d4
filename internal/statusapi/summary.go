package statusapi // import "github.com/otelcol-warden/otelcol-warden/internal/statusapi"

// Summary is the snapshot of a KindSummary provider: what a component received, passed on and
// removed over its lifetime. Counters only grow; the extension keeps per-minute copies and
// derives the last 5 and 60 minutes from them.
type Summary struct {
	In  Volume `json:"in"`
	Out Volume `json:"out"`
	// Removed says why items did not go out (or were changed), one entry per reason; Reason is
	// a configured rule name or a fixed word such as "over_budget", "dropped_by_rule", "folded".
	Removed []Removal `json:"removed,omitempty"`
}

// Volume counts items (spans, log records, data points) and their OTLP-encoded bytes; Bytes is 0
// when the component does not measure it.
type Volume struct {
	Items uint64 `json:"items"`
	Bytes uint64 `json:"bytes"`
}

// Removal is one reason for removing data and how much it removed.
type Removal struct {
	Reason string `json:"reason"`
	Items  uint64 `json:"items"`
	Bytes  uint64 `json:"bytes"`
}
