package cardinalityguard // import "github.com/otelcol-warden/otelcol-warden/processor/cardinalityguard"

// Reasons for folded and dropped points (attribute "reason" of the self-metrics).
const (
	reasonLabelDropped      = "label_dropped"
	reasonValueNormalized   = "value_normalized"
	reasonLabelLimit        = "label_limit"
	reasonSeriesLimit       = "series_limit"
	reasonSharesOutput      = "shares_output"
	reasonRelabelDrop       = "relabel_drop"
	reasonNonFinite         = "non_finite"
	reasonNegativeCounter   = "negative_counter"
	reasonBoundsMismatch    = "bounds_mismatch"
	reasonBoundsRebucketed  = "bounds_rebucketed"
	reasonInvalidHistogram  = "invalid_histogram"
	reasonSummaryRefused    = "summary_refused"
	reasonStateFull         = "state_full"
	reasonTooManyAttributes = "too_many_attributes"
	reasonEmptyName         = "empty_name"
	reasonOutOfOrder        = "out_of_order"
	reasonDownstreamError   = "downstream_error" // a flush the next consumer refused: folded data lost
)

// counts are accumulated per batch and added to the self-metrics once.
type counts struct {
	received, emitted uint64
	folded, dropped   tally
}

func (c *counts) drop(reason string) { c.dropped.add(reason, 1) }

// tally counts by reason. Consecutive points mostly share their reason: a run is summed in
// place (the reasons are constants, so the comparison is a pointer check) and added to the
// map when the reason changes, instead of one map update per point.
type tally struct {
	m    map[string]int64
	last string
	n    int64
}

func (t *tally) add(reason string, n int64) {
	if reason == t.last && t.last != "" {
		t.n += n
		return
	}
	t.flush()
	t.last, t.n = reason, n
}

// counts flushes the current run and returns the totals by reason.
func (t *tally) counts() map[string]int64 {
	t.flush()
	return t.m
}

func (t *tally) flush() {
	if t.last == "" {
		return
	}
	if t.m == nil {
		t.m = map[string]int64{}
	}
	t.m[t.last] += t.n
	t.last, t.n = "", 0
}
