package piiscrub // import "github.com/otelcol-warden/otelcol-warden/processor/piiscrub"

import (
	"sync/atomic"

	"go.opentelemetry.io/collector/component"

	"github.com/otelcol-warden/otelcol-warden/internal/statusapi"
)

// statusCounts mirror the records_* and detections self-metrics for the warden_status extension
// (the OTel counters cannot be read back). flush adds here next to each self-metric update, once
// per batch: records scanned, scrubbed, dropped (per reason), and one add per (type, action,
// location) entry of the batch's counts; no lock, no allocation.
// All indices are enums or the configured entity list, so the counters are allocated once, at
// construction, and bounded.
type statusCounts struct {
	scanned, scrubbed [numSignals]atomic.Int64
	dropped           [numSignals][numReasons]atomic.Int64
	// detections is indexed by signal, then entity*numLocations*len(actionNames) +
	// location*len(actionNames) + action.
	detections [numSignals][]atomic.Int64
}

func newStatusCounts(numEntities int) *statusCounts {
	c := &statusCounts{}
	for s := range c.detections {
		c.detections[s] = make([]atomic.Int64, numEntities*int(numLocations)*len(actionNames))
	}
	return c
}

func detectionIndex(k countKey) int {
	return (int(k.ent)*int(numLocations)+int(k.loc))*len(actionNames) + int(k.act)
}

// addDetection is called from flush for each entry of the batch's counts (k.ent already
// checked against the entity list).
func (c *statusCounts) addDetection(sig signalKind, k countKey, n int64) {
	c.detections[sig][detectionIndex(k)].Add(n)
}

// registerStatus registers kinds pii and summary with the warden_status extension, if the host
// has one, and returns the function that undoes both.
func (p *scrubProcessor) registerStatus(host component.Host) func() {
	undoPII := statusapi.Register(host, p.id, statusapi.KindPII,
		statusapi.ProviderFunc(func() any { return p.statusPII() }))
	undoSummary := statusapi.Register(host, p.id, statusapi.KindSummary,
		statusapi.ProviderFunc(func() any { return p.statusSummary() }))
	return func() { undoPII(); undoSummary() }
}

// PIIStatus is the kind pii snapshot: how many findings pii_scrub replaced, by type (detector or
// configured entity name), by location in the record and by action applied, per signal. Counts
// only; no value, pseudonym or attribute key from the data appears in it.
type PIIStatus struct {
	Detections uint64                     `json:"detections"`
	ByType     map[string]uint64          `json:"by_type"`
	ByLocation map[string]uint64          `json:"by_location"`
	ByAction   map[string]uint64          `json:"by_action"`
	Signals    map[string]PIISignalStatus `json:"signals"`
}

// PIISignalStatus is one signal's part of PIIStatus. RecordsScanned counts every record (span,
// log record, data point) looked at; RecordsScrubbed those in which something was replaced
// (or below a changed resource/scope); RecordsDropped those dropped by fail_closed, by reason.
type PIISignalStatus struct {
	RecordsScanned  uint64            `json:"records_scanned"`
	RecordsScrubbed uint64            `json:"records_scrubbed"`
	RecordsDropped  map[string]uint64 `json:"records_dropped,omitempty"`
	Detections      uint64            `json:"detections"`
	ByType          map[string]uint64 `json:"by_type"`
	ByLocation      map[string]uint64 `json:"by_location"`
}

// statusPII reads the counters (atomics only; never blocks the pipeline). A signal this instance
// never saw is left out.
func (p *scrubProcessor) statusPII() PIIStatus {
	c := p.status
	out := PIIStatus{
		ByType: map[string]uint64{}, ByLocation: map[string]uint64{}, ByAction: map[string]uint64{},
		Signals: map[string]PIISignalStatus{},
	}
	for s := signalKind(0); s < numSignals; s++ {
		sig := PIISignalStatus{
			RecordsScanned:  nonNegative(c.scanned[s].Load()),
			RecordsScrubbed: nonNegative(c.scrubbed[s].Load()),
			ByType:          map[string]uint64{}, ByLocation: map[string]uint64{},
		}
		for r := reason(0); r < numReasons; r++ {
			if n := nonNegative(c.dropped[s][r].Load()); n > 0 {
				if sig.RecordsDropped == nil {
					sig.RecordsDropped = map[string]uint64{}
				}
				sig.RecordsDropped[reasonNames[r]] = n
			}
		}
		for i := range c.detections[s] {
			n := nonNegative(c.detections[s][i].Load())
			if n == 0 {
				continue
			}
			act := i % len(actionNames)
			loc := (i / len(actionNames)) % int(numLocations)
			ent := i / (len(actionNames) * int(numLocations))
			name := statusapi.ReportName(p.e.entityNames[ent], p.entityNameSet)
			sig.Detections += n
			sig.ByType[name] += n
			sig.ByLocation[locationNames[loc]] += n
			out.ByAction[string(actionNames[act])] += n
		}
		if sig.RecordsScanned == 0 && sig.Detections == 0 {
			continue
		}
		out.Detections += sig.Detections
		for k, n := range sig.ByType {
			out.ByType[k] += n
		}
		for k, n := range sig.ByLocation {
			out.ByLocation[k] += n
		}
		out.Signals[signalNames[s]] = sig
	}
	return out
}

// statusSummary: pii_scrub changes values but removes no records, except those fail_closed drops
// because they could not be processed (reasons "fail_closed.<reason>"). Attributes deleted by
// action delete are not records and are counted in the pii snapshot's by_action instead. Bytes
// are not measured (0).
func (p *scrubProcessor) statusSummary() statusapi.Summary {
	c := p.status
	var in, removed uint64
	var s statusapi.Summary
	for sig := signalKind(0); sig < numSignals; sig++ {
		in += nonNegative(c.scanned[sig].Load())
	}
	for r := reason(0); r < numReasons; r++ {
		var n uint64
		for sig := signalKind(0); sig < numSignals; sig++ {
			n += nonNegative(c.dropped[sig][r].Load())
		}
		if n > 0 {
			s.Removed = append(s.Removed, statusapi.Removal{Reason: "fail_closed." + reasonNames[r], Items: n})
			removed += n
		}
	}
	s.In = statusapi.Volume{Items: in}
	s.Out = statusapi.Volume{Items: in - min(removed, in)}
	return s
}

func nonNegative(n int64) uint64 { return uint64(max(n, 0)) }
