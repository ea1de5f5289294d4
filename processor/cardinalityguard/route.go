package cardinalityguard // import "github.com/otelcol-warden/otelcol-warden/processor/cardinalityguard"

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// attrKV is one attribute on its way through the steps; repl holds a rewritten string value.
type attrKV struct {
	key      string
	val      pcommon.Value
	repl     string
	replaced bool
	removed  bool
}

// decision is the outcome of the label steps for one point.
type decision struct {
	drop      string // drop reason, or ""
	fold      bool
	reason    string // why the point folds
	overflow  bool
	outKey    uint64
	inKey     uint64
	fresh     bool       // the output series was admitted by this point
	converted bool       // the output was a pass-through series until now: adm holds its last pass-through state
	adm       *admission // the output's admission (nil for the overflow series)
	// cacheable: the route depends only on the attribute set, the budget's epoch and admitted
	// label values (no sentinel, no overflow, no untracked key), so the input may skip the label
	// steps on its next points (see inputState.routed).
	cacheable bool
	in        *inputState // set by the fast path of a re-aggregated input
}

// route runs steps 1-5 (relabel, deny list, normalisation, per-label limit, series cap) on
// one point's attributes. The attributes themselves are not modified: the rewritten set is
// left in g.scratch for the caller to build an output series from, only when one is created.
func (g *guard) route(mc *metricCtx, attrs pcommon.Map, ts pcommon.Timestamp) decision {
	b, p := mc.b, mc.b.policy
	if attrs.Len() > g.cfg.MaxAttributes {
		return decision{drop: reasonTooManyAttributes}
	}
	relabeled := len(p.relabel) > 0
	inHash := mapHash(attrs)
	key := combine(mc.seriesBase, inHash)
	// Fast paths. Both hold under the same conditions (same epoch, checked less than
	// max_stale/2 ago, so that no admission, output or admitted label value they rely on can
	// have been swept) and exclude each other when valid (a route is a function of the
	// attribute set and the epoch), so they are tried in the order of the metric's last point.
	if mc.lastFolded {
		if d, ok := g.foldedFast(mc, key); ok {
			return d
		}
	}
	// A series already checked and passing through skips the label steps (and the relabel
	// rules: an admission is only marked checked by an input whose attribute set is exactly
	// the output's, and relabelling is a pure function of that set).
	if adm := b.admitted[key]; adm != nil && !adm.aggregated && adm.epoch == b.epoch && g.clock-adm.checkedAt < g.recheck {
		adm.lastSeen = g.clock
		adm.lastTs = max(adm.lastTs, uint64(ts))
		mc.lastFolded = false
		return decision{inKey: key, outKey: key, adm: adm}
	}
	if !mc.lastFolded {
		if d, ok := g.foldedFast(mc, key); ok {
			return d
		}
	}
	kvs := g.scratch[:0]
	var outHash uint64
	changed, reason, cacheable := false, "", true
	if relabeled {
		res := b.relabelFor(inHash, attrs, mc.m.Name(), g.cfg.LabelNames)
		if res.drop {
			return decision{drop: reasonRelabelDrop}
		}
		for _, kv := range res.kvs {
			if kv.origKey != "" {
				v, _ := attrs.Get(kv.origKey)
				kvs = append(kvs, attrKV{key: kv.key, val: v})
			} else {
				kvs = append(kvs, attrKV{key: kv.key, repl: kv.value, replaced: true})
			}
		}
		if !res.identity(attrs.Len()) {
			changed, reason = true, reasonLabelDropped
		}
	} else {
		for k, v := range attrs.All() {
			kvs = append(kvs, attrKV{key: k, val: v})
		}
	}
	for i := range kvs {
		kv := &kvs[i]
		var vh uint64
		if kv.replaced {
			vh = strHash(kv.repl)
		} else {
			vh = valueHash(kv.val)
		}
		ls := b.label(kv.key, g.detectBuckets, g.named)
		var kh uint64
		if ls != nil {
			kh = ls.keyHash
		} else {
			kh = keyHash(kv.key)
		}
		if ls == nil {
			kv.removed, changed, cacheable = true, true, false
			reason = firstReason(reason, reasonLabelLimit)
			continue
		}
		if ls.denied || (g.auto && ls.flagged && !ls.exclude) {
			kv.removed, changed = true, true
			reason = firstReason(reason, reasonLabelDropped)
			continue
		}
		if norms := ls.normalize; norms != nil && (kv.replaced || kv.val.Type() == pcommon.ValueTypeStr) {
			s := kv.repl
			if !kv.replaced {
				s = kv.val.Str()
			}
			n := ls.normalized(s, vh)
			if n != s {
				kv.repl, kv.replaced, changed = n, true, true
				vh = strHash(n)
				reason = firstReason(reason, reasonValueNormalized)
			}
		}
		known := false
		if ls.values != nil {
			var seen uint32
			if seen, known = ls.values[vh]; (known && seen != g.clock) || (!known && len(ls.values) < p.maxValues) {
				ls.values[vh] = g.clock
			} else if !known {
				kv.repl, kv.replaced, changed, cacheable = Sentinel, true, true, false
				ls.sentinels++
				reason = firstReason(reason, reasonLabelLimit)
			}
		}
		if ls.window != nil && !known {
			ls.window[g.bucket].InsertHash(vh)
		}
		if kv.replaced && kv.repl == Sentinel {
			vh = strHash(Sentinel)
		}
		outHash += pairHash(kh, vh)
	}
	g.scratch = kvs

	d := decision{inKey: key, outKey: combine(mc.seriesBase, outHash)}
	adm := b.admitted[d.outKey]
	if adm == nil {
		if (p.maxSeries > 0 && len(b.admitted) >= p.maxSeries) || g.trackedSeries() >= g.cfg.State.MaxTrackedSeries {
			// One overflow series per budget (scope, metric, rule) and metric type, whatever the
			// resource: it is a tracked series, itself bounded by max_tracked_series.
			d.overflow, changed = true, true
			reason = reasonSeriesLimit
			d.outKey = mc.overflow
			if mc.m.Type() != pmetric.MetricTypeSummary { // summaries never fold into it
				if _, ok := b.overflows[d.outKey]; !ok {
					if g.trackedSeries() >= g.cfg.State.MaxTrackedSeries {
						return decision{drop: reasonSeriesLimit}
					}
					g.overflowSeries++
				}
				b.overflows[d.outKey] = g.clock
			}
		} else {
			adm = &admission{}
			b.admitted[d.outKey] = adm
			g.totalAdmitted++
			d.fresh = true
		}
	}
	if !changed && !adm.aggregated {
		adm.lastSeen, adm.checkedAt, adm.epoch = g.clock, g.clock, b.epoch
		adm.lastTs = max(adm.lastTs, uint64(ts))
		d.adm = adm
		return d
	}
	d.fold, d.reason, d.cacheable = true, reason, cacheable && !d.overflow
	if d.reason == "" {
		d.reason = reasonSharesOutput
	}
	if !d.overflow {
		if !d.fresh && !adm.aggregated {
			d.converted = true
		}
		adm.aggregated = true
		adm.lastSeen = g.clock
		d.adm = adm
	}
	return d
}

// trackedSeries counts the series state.max_tracked_series bounds: admitted and overflow.
func (g *guard) trackedSeries() int { return g.totalAdmitted + g.overflowSeries }

// foldedFast is the fast path of a re-aggregated input: its state remembers its route.
func (g *guard) foldedFast(mc *metricCtx, key uint64) (decision, bool) {
	in := g.inputs[key]
	if in == nil || !in.routed || in.epoch != mc.b.epoch || g.clock-in.checkedAt >= g.recheck {
		return decision{}, false
	}
	adm := in.out.adm
	adm.lastSeen = g.clock
	mc.lastFolded = true
	return decision{fold: true, reason: foldReasons[in.reason], inKey: key, outKey: in.out.key, adm: adm, in: in}, true
}

// foldReasons are the reasons a cached route can carry (inputState.reason indexes them).
var foldReasons = [...]string{reasonSharesOutput, reasonLabelDropped, reasonValueNormalized}

func foldReasonIndex(r string) (uint8, bool) {
	for i, fr := range foldReasons {
		if fr == r {
			return uint8(i), true
		}
	}
	return 0, false
}

func firstReason(cur, r string) string {
	if cur == "" {
		return r
	}
	return cur
}
