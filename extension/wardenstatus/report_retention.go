package wardenstatus // import "github.com/otelcol-warden/otelcol-warden/extension/wardenstatus"

import (
	"time"
)

// The retention section: what tail_policy keeps of the traces it dropped (wal.retain_dropped),
// how far back it reaches, and how to get a trace back (the API; the page itself changes
// nothing: it has no forms and no JavaScript).

// retentionSnapshot is what the section reads (processor/tailpolicy/retroactive.go
// retentionReport).
type retentionSnapshot struct {
	Traces           *uint64 `json:"traces"`
	Bytes            uint64  `json:"bytes"`
	LimitBytes       uint64  `json:"limit_bytes"`
	MaxAgeSeconds    float64 `json:"max_age_seconds"`
	OldestAgeSeconds float64 `json:"oldest_age_seconds"`
	MaxKeepTraces    int     `json:"max_keep_traces"`
}

type retentionView struct {
	Traces            uint64
	Bytes, LimitBytes uint64
	Fill              string
	MaxAge            string
	ReachesBack       string
	MaxKeepTraces     int
}

// retentionViewOf builds the view, or nil when the snapshot is not a retention report.
func retentionViewOf(snapshot any) any {
	snap, ok := decodeAs[retentionSnapshot](snapshot)
	if !ok || snap.Traces == nil {
		return nil
	}
	v := &retentionView{
		Traces: *snap.Traces, Bytes: snap.Bytes, LimitBytes: snap.LimitBytes,
		Fill:          share(snap.Bytes, snap.LimitBytes),
		MaxAge:        roundedDuration(snap.MaxAgeSeconds),
		MaxKeepTraces: snap.MaxKeepTraces,
		ReachesBack:   "–",
	}
	if *snap.Traces > 0 {
		v.ReachesBack = roundedDuration(snap.OldestAgeSeconds)
	}
	return v
}

// maxShownSeconds keeps a nonsensical age within time.Duration (about 31 years).
const maxShownSeconds = 1e9

// roundedDuration shows seconds as a duration to the second ("1h0m0s", "12m30s").
func roundedDuration(seconds float64) string {
	return (time.Duration(min(max(seconds, 0), maxShownSeconds)) * time.Second).Round(time.Second).String()
}
