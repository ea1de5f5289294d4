package wardenstatus // import "github.com/otelcol-warden/otelcol-warden/extension/wardenstatus"

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-warden/otelcol-warden/internal/statusapi"
)

// Dropped traces back after an incident: served only by a KindTailRetention provider that
// implements statusapi.TraceRetention (tail_policy with retention on disk). The retained spans
// went through pii_scrub before tail_policy, as everything the exporters send does.

const (
	maxKeepBody       = 4 << 10
	maxTraceJSONBytes = 8 << 20
	noRetention       = "no component retains dropped traces: tail_policy's retention of dropped traces is not configured in this collector (or not available in this build)"
)

// retentions are the registered TraceRetention providers: one per tail_policy instance (a
// component in two traces pipelines retains in each), in registration order.
func (e *statusExtension) retentions() []statusapi.TraceRetention {
	var out []statusapi.TraceRetention
	for _, reg := range e.registry.of(statusapi.KindTailRetention) {
		if tr, ok := reg.provider.(statusapi.TraceRetention); ok {
			out = append(out, tr)
		}
	}
	return out
}

// serveRetainedTrace: GET /api/v1/tail/traces/{trace_id} returns the trace as OTLP JSON, from
// the first instance that retained it.
func (e *statusExtension) serveRetainedTrace(w http.ResponseWriter, r *http.Request) {
	trs := e.retentions()
	if len(trs) == 0 {
		e.writeError(w, http.StatusNotFound, "tail_trace", noRetention)
		return
	}
	id, err := parseTraceID(r.PathValue("trace_id"))
	if err != nil {
		e.writeError(w, http.StatusBadRequest, "tail_trace", err.Error())
		return
	}
	for _, tr := range trs {
		td, found, err := tr.RetainedTrace(r.Context(), id)
		if err != nil {
			e.writeError(w, http.StatusInternalServerError, "tail_trace", "reading retained traces failed")
			return
		}
		if !found {
			continue
		}
		body, err := (&ptrace.JSONMarshaler{}).MarshalTraces(td)
		if err != nil || len(body) > maxTraceJSONBytes {
			e.writeError(w, http.StatusInternalServerError, "tail_trace", "retained trace could not be encoded within 8 MiB")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
		return
	}
	e.writeError(w, http.StatusNotFound, "tail_trace", "trace not retained: it was kept, has expired or was never seen")
}

// keepBody is the body of POST /api/v1/tail/keep.
type keepBody struct {
	TraceID string    `json:"trace_id"`
	Service string    `json:"service"`
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
}

// serveKeep: POST /api/v1/tail/keep sends retained traces on through the exporters.
func (e *statusExtension) serveKeep(w http.ResponseWriter, r *http.Request) {
	trs := e.retentions()
	if len(trs) == 0 {
		e.writeError(w, http.StatusNotFound, "tail_keep", noRetention)
		return
	}
	req, msg := parseKeepRequest(w, r)
	if msg != "" {
		e.writeError(w, http.StatusBadRequest, "tail_keep", msg)
		return
	}
	// Every instance is asked: a trace is retained by at most one, a range may span several.
	var total statusapi.KeepResult
	for _, tr := range trs {
		res, err := tr.KeepRetained(r.Context(), req)
		if err != nil {
			e.writeError(w, http.StatusInternalServerError, "tail_keep", "sending retained traces failed")
			return
		}
		total.Traces += res.Traces
		total.Spans += res.Spans
	}
	e.writeDoc(w, http.StatusOK, document{Kind: "tail_keep", Data: total})
}

// parseKeepRequest reads and checks the body; msg says what is wrong without repeating it.
func parseKeepRequest(w http.ResponseWriter, r *http.Request) (statusapi.KeepRequest, string) {
	var body keepBody
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxKeepBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		return statusapi.KeepRequest{}, "body must be one JSON object of at most 4 KiB with trace_id, or service, start and end (RFC 3339)"
	}
	req := statusapi.KeepRequest{Service: body.Service, Start: body.Start, End: body.End}
	if body.TraceID != "" {
		id, err := parseTraceID(body.TraceID)
		if err != nil {
			return req, err.Error()
		}
		req.TraceID = id
	}
	if err := req.Validate(); err != nil {
		return req, err.Error()
	}
	return req, ""
}

// parseTraceID accepts 32 hex digits, not all zero; the error never repeats the input.
func parseTraceID(s string) (pcommon.TraceID, error) {
	var id pcommon.TraceID
	if len(s) != 2*len(id) {
		return id, errors.New("trace_id must be 32 hex digits")
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return id, errors.New("trace_id must be 32 hex digits")
	}
	if id.IsEmpty() {
		return id, errors.New("trace_id must not be all zeros")
	}
	return id, nil
}
