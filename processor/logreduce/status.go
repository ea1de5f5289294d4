package logreduce // import "github.com/otelcol-warden/otelcol-warden/processor/logreduce"

import (
	"sync/atomic"

	"go.opentelemetry.io/collector/component"

	"github.com/otelcol-warden/otelcol-warden/internal/statusapi"
)

// LogsStatus is the snapshot log_reduce gives the warden_status extension (kind "logs"): the top
// folded templates per service over the lifetime of the templates still remembered (an evicted
// template takes its counts with it). Shapes and ids are those of the periodic report, so never
// a value from the data; service names go through statusapi.ReportName.
type LogsStatus struct {
	Mode      string          `json:"mode"`
	Templates int             `json:"templates"`
	Services  []ServiceReport `json:"services"`
}

// lifetime counts what passed through the processor, for the kind "summary" snapshot. Bytes are
// log_reduce's own measure (message plus string attributes, see recordBytes), not OTLP bytes.
type lifetime struct {
	received, receivedBytes     atomic.Int64
	suppressed, suppressedBytes atomic.Int64
	summaries                   atomic.Int64
}

func (l *lifetime) add(b *batchCounts) {
	var recv, recvBytes, supp, suppBytes int64
	for _, sc := range b.byService {
		recv += sc.received
		recvBytes += sc.bytesReceived
		supp += sc.suppressed
		suppBytes += sc.bytesSuppressed
	}
	l.received.Add(recv)
	l.receivedBytes.Add(recvBytes)
	l.suppressed.Add(supp)
	l.suppressedBytes.Add(suppBytes)
}

// summary: out are the records passed on plus the summaries that replaced the folded ones; out
// bytes count the passed records only (a summary's size is not measured).
func (l *lifetime) summary() statusapi.Summary {
	// Suppressed first: add adds received first, so received is never behind suppressed here.
	supp, suppBytes := uint64(l.suppressed.Load()), uint64(l.suppressedBytes.Load())
	recv, recvBytes := uint64(l.received.Load()), uint64(l.receivedBytes.Load())
	s := statusapi.Summary{
		In:  statusapi.Volume{Items: recv, Bytes: recvBytes},
		Out: statusapi.Volume{Items: recv - supp + uint64(l.summaries.Load()), Bytes: recvBytes - suppBytes},
	}
	if supp > 0 {
		s.Removed = []statusapi.Removal{{Reason: "folded", Items: supp, Bytes: suppBytes}}
	}
	return s
}

// logsStatus builds the kind "logs" snapshot. It walks the remembered templates (bounded by
// limits.max_templates) under r.mu without resetting the periodic report's counts.
func (r *reducer) logsStatus() LogsStatus {
	r.mu.Lock()
	services := r.topTemplates(func(st *templateState) templateCounts {
		return templateCounts{st.lifeReceived, st.lifeSuppressed, st.lifeBytes}
	})
	total := r.templates.total
	r.mu.Unlock()
	for i := range services {
		services[i].Service = statusapi.ReportName(services[i].Service, nil)
	}
	return LogsStatus{Mode: r.cfg.Mode, Templates: total, Services: services}
}

// registerStatus offers both snapshots to warden_status when the host has it (else a no-op).
func (r *reducer) registerStatus(host component.Host) {
	undoLogs := statusapi.Register(host, r.id, statusapi.KindLogs,
		statusapi.ProviderFunc(func() any { return r.logsStatus() }))
	undoSummary := statusapi.Register(host, r.id, statusapi.KindSummary,
		statusapi.ProviderFunc(func() any { return r.life.summary() }))
	r.mu.Lock()
	r.unregisterStatus = func() { undoLogs(); undoSummary() }
	r.mu.Unlock()
}
