package wardenstatus // import "github.com/otelcol-warden/otelcol-warden/extension/wardenstatus"

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/otelcol-warden/otelcol-warden/internal/statusapi"
)

// apiVersion is part of every path and document; field names under it do not change.
const apiVersion = "v1"

// document is the envelope of every API answer.
type document struct {
	Status      string    `json:"status"` // "success" or "error"
	APIVersion  string    `json:"api_version"`
	Kind        string    `json:"kind"`
	GeneratedAt time.Time `json:"generated_at"`
	Message     string    `json:"message,omitempty"`
	Error       string    `json:"error,omitempty"`
	Data        any       `json:"data,omitempty"`
}

// providersDoc is the data of the per-kind endpoints.
type providersDoc struct {
	Providers []providerSnapshot `json:"providers"`
}

// providedBy says which component is expected to register each kind, for the empty answer.
var providedBy = map[statusapi.Kind]string{
	statusapi.KindCardinality:   "cardinality_guard",
	statusapi.KindTail:          "tail_policy",
	statusapi.KindPII:           "pii_scrub",
	statusapi.KindUsage:         "usage_meter",
	statusapi.KindLogs:          "log_reduce",
	statusapi.KindTailRetention: "tail_policy with retention of dropped traces",
}

// routes is the whole HTTP surface; everything else is a JSON 404.
func (e *statusExtension) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", e.servePage)
	mux.Handle("GET /static/", staticHandler())
	mux.HandleFunc("GET /api/v1/summary", e.serveSummary)
	mux.HandleFunc("GET /api/v1/history", e.serveHistory)
	for kind := range providedBy {
		mux.HandleFunc("GET /api/v1/"+string(kind), e.serveKind(kind))
	}
	mux.HandleFunc("GET /api/v1/tail/traces/{trace_id}", e.serveRetainedTrace)
	mux.HandleFunc("POST /api/v1/tail/keep", e.serveKeep)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		e.writeError(w, http.StatusNotFound, "not_found", "no such endpoint; see /api/v1/summary and the README of warden_status")
	})
	return securityHeaders(mux)
}

// securityHeaders: the page needs nothing from elsewhere, so nothing from elsewhere may load.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

func (e *statusExtension) serveSummary(w http.ResponseWriter, r *http.Request) {
	e.writeDoc(w, http.StatusOK, document{Kind: string(statusapi.KindSummary), Data: e.buildSummary(r.Context(), e.now())})
}

// serveHistory: ?minutes=N (1 to the ring's span, default all) of per-interval deltas.
func (e *statusExtension) serveHistory(w http.ResponseWriter, r *http.Request) {
	maxMinutes := int(time.Duration(e.cfg.History)*e.cfg.SnapshotInterval/time.Minute) + 1
	minutes := maxMinutes
	if v := r.URL.Query().Get("minutes"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxMinutes {
			e.writeError(w, http.StatusBadRequest, "history", fmt.Sprintf("minutes must be an integer from 1 to %d", maxMinutes))
			return
		}
		minutes = n
	}
	now := e.now()
	e.writeDoc(w, http.StatusOK, document{Kind: "history", Data: e.buildHistory(r.Context(), now, now.Add(-time.Duration(minutes)*time.Minute))})
}

func (e *statusExtension) serveKind(kind statusapi.Kind) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		doc := document{Kind: string(kind), Data: providersDoc{Providers: e.registry.snapshots(kind)}}
		if len(doc.Data.(providersDoc).Providers) == 0 {
			doc.Message = fmt.Sprintf("no component provides %s (it is provided by %s once that component is in a pipeline and registers with warden_status)", kind, providedBy[kind])
		}
		e.writeDoc(w, http.StatusOK, doc)
	}
}

func (e *statusExtension) writeError(w http.ResponseWriter, code int, kind, msg string) {
	e.writeDoc(w, code, document{Status: "error", Kind: kind, Error: msg})
}

func (e *statusExtension) writeDoc(w http.ResponseWriter, code int, doc document) {
	if doc.Status == "" {
		doc.Status = "success"
	}
	doc.APIVersion = apiVersion
	doc.GeneratedAt = e.now().UTC()
	body, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		code, body = http.StatusInternalServerError, []byte(`{"status":"error","api_version":"v1","error":"encoding failed"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_, _ = w.Write(append(body, '\n'))
}
