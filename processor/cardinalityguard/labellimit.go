package cardinalityguard // import "github.com/otelcol-warden/otelcol-warden/processor/cardinalityguard"

// Sentinel replaces the values of a label beyond its per-label value limit.
const Sentinel = "__other__"

var sentinelHash = strHash(Sentinel)

// labelLimitStep is step 4, the per-label value limit (Tempo style): beyond
// max_values_per_label admitted values per (scope, metric, label), a new value becomes the
// Sentinel while admitted values keep flowing. Values the limit has not admitted before also
// feed the label's detection sketch. It returns the hash of the value as the step leaves it.
func (g *guard) labelLimitStep(p *policy, ls *labelState, kv *attrKV, vh uint64, rs *routeState) uint64 {
	known := false
	if ls.values != nil {
		var seen uint32
		if seen, known = ls.values[vh]; (known && seen != g.clock) || (!known && len(ls.values) < p.maxValues) {
			ls.values[vh] = g.clock
		} else if !known {
			if ls.window != nil {
				ls.window[g.bucket].InsertHash(vh)
			}
			kv.repl, kv.replaced = Sentinel, true
			rs.change(reasonLabelLimit)
			rs.cacheable = false
			ls.sentinels++
			return sentinelHash
		}
	}
	if ls.window != nil && !known {
		ls.window[g.bucket].InsertHash(vh)
	}
	return vh
}

// untrackedKeyStep is step 4 for a key beyond the budget's label trackers
// (maxLabelKeysPerMetric): keys built from ids are unbounded too, so the key is removed.
func untrackedKeyStep(kv *attrKV, rs *routeState) {
	kv.removed = true
	rs.change(reasonLabelLimit)
	rs.cacheable = false
}
