package statusapi // import "github.com/otelcol-warden/otelcol-warden/internal/statusapi"

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// TraceRetention is implemented by a KindTailRetention provider (tail_policy with retention of
// dropped traces on disk). The extension serves it as GET /api/v1/tail/traces/{trace_id} and
// POST /api/v1/tail/keep; without such a provider both answer 404.
type TraceRetention interface {
	// RetainedTrace returns the retained spans of one dropped trace; found is false when the trace
	// was kept (so never retained), has expired or was never seen.
	RetainedTrace(ctx context.Context, id pcommon.TraceID) (td ptrace.Traces, found bool, err error)
	// KeepRetained sends retained traces matching req on through the pipeline's exporters, marked
	// sampling.rule=retroactive with a th of 0, and removes them from retention.
	KeepRetained(ctx context.Context, req KeepRequest) (KeepResult, error)
}

// MaxKeepRange bounds KeepRequest's time range.
const MaxKeepRange = time.Hour

// KeepRequest selects retained traces: either one TraceID, or a Service and a time range of at
// most MaxKeepRange.
type KeepRequest struct {
	TraceID pcommon.TraceID
	Service string
	Start   time.Time
	End     time.Time
}

// Validate checks that exactly one selector is given and that the range is bounded.
func (r KeepRequest) Validate() error {
	byID := !r.TraceID.IsEmpty()
	byRange := r.Service != "" || !r.Start.IsZero() || !r.End.IsZero()
	switch {
	case byID && byRange:
		return errors.New("give either trace_id or service with start and end, not both")
	case byID:
		return nil
	case r.Service == "":
		return errors.New("trace_id or service is required")
	case r.Start.IsZero() || r.End.IsZero():
		return errors.New("start and end are required with service")
	case !r.End.After(r.Start):
		return errors.New("end must be after start")
	case r.End.Sub(r.Start) > MaxKeepRange:
		return errors.New("the range from start to end must be at most 1h")
	}
	return nil
}

// KeepResult says how much KeepRetained sent on.
type KeepResult struct {
	Traces int `json:"traces"`
	Spans  int `json:"spans"`
}
