package cardinalityguard // import "github.com/otelcol-warden/otelcol-warden/processor/cardinalityguard"

import "go.opentelemetry.io/collector/pdata/pcommon"

// denyStep is step 2, the deny list: a label on it (deny_labels, default DefaultDenyLabels,
// minus allow_labels) or, in auto mode, flagged by detection is removed. It reports whether
// the label was removed.
func (g *guard) denyStep(ls *labelState, kv *attrKV, rs *routeState) bool {
	if !ls.denied && (!g.auto || !ls.flagged || ls.exclude) {
		return false
	}
	kv.removed = true
	rs.change(reasonLabelDropped)
	return true
}

// deniedKey reports whether an exemplar's filtered attribute must go (it is on the deny list).
func (p *policy) deniedKey(k string, _ pcommon.Value) bool {
	_, denied := p.deny[k]
	return denied
}
