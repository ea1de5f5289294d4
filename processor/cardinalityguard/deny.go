package cardinalityguard // import "github.com/otelcol-warden/otelcol-warden/processor/cardinalityguard"

import "go.opentelemetry.io/collector/pdata/pcommon"

// deniedKey reports whether an exemplar's filtered attribute must go (it is on the deny list).
func (p *policy) deniedKey(k string, _ pcommon.Value) bool {
	_, denied := p.deny[k]
	return denied
}
