// Package statusapi is the contract between otelcol-warden's components and the warden_status
// extension: a component registers read-only providers of JSON snapshots, the extension serves
// them on its status page and API (/api/v1/<kind>). Neither side imports the other; both import
// this package. Without the extension in the configuration Register finds no registry, returns a
// no-op and the component works as before.
//
// How a component registers (in its Start and Shutdown; id is the processor.Settings.ID):
//
//	func (p *guardProcessor) Start(_ context.Context, host component.Host) error {
//		p.unregister = statusapi.Register(host, p.id, statusapi.KindCardinality,
//			statusapi.ProviderFunc(func() any { return p.guard.buildReport() }))
//		return nil
//	}
//	func (p *guardProcessor) Shutdown(context.Context) error { p.unregister(); return nil }
//
// For the per-component savings on the summary, register a second provider under KindSummary
// whose snapshot is a Summary (lifetime totals; the extension derives the 5 and 60 minute windows).
//
// Rules for snapshots:
//   - Read-only and cheap: StatusSnapshot is called on every API request and once per snapshot
//     interval, from the extension's goroutines, concurrently with the pipeline. Copy under a lock
//     or read atomics; never block on the pipeline.
//   - JSON-marshalable, bounded (the extension refuses snapshots over 1 MiB), stable field names in
//     snake_case, times as Unix seconds (numbers), never as strings.
//   - Never personal data, keys, tokens or pseudonyms. Names taken from the data (label keys,
//     metric names, routes, team names) go through ReportName. The extension additionally replaces
//     every string that does not look like a safe name with its hash (defence in depth), so a
//     value that slips through shows as "hash:xxxxxxxx", never verbatim.
package statusapi // import "github.com/otelcol-warden/otelcol-warden/internal/statusapi"
