package cardinalityguard // import "github.com/otelcol-warden/otelcol-warden/processor/cardinalityguard"

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
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

// routeState is what the label steps found out about one point's attributes.
type routeState struct {
	changed bool   // some step changed the attribute set: the point folds
	reason  string // the first step that changed it
	// cacheable: see decision.cacheable; a step that depends on more than the attribute set
	// and the budget's epoch clears it.
	cacheable bool
}

// change records that a step changed the attribute set; the first reason is kept.
func (rs *routeState) change(reason string) {
	rs.changed = true
	if rs.reason == "" {
		rs.reason = reason
	}
}

// route decides what happens to one point: it runs the steps in order, each in the file
// named for it: relabel (relabel.go), deny list (deny.go), normalisation (normalize.go),
// per-label value limit (labellimit.go) and series cap (seriescap.go). The attributes
// themselves are not modified: the rewritten set is left in g.scratch for the caller to
// build an output series from, only when one is created.
func (g *guard) route(mc *metricCtx, attrs pcommon.Map, ts pcommon.Timestamp) decision {
	if attrs.Len() > g.cfg.MaxAttributes {
		return decision{drop: reasonTooManyAttributes}
	}
	inHash := g.positions.attrHash(attrs)
	key := combine(mc.seriesBase, inHash)
	if d, ok := g.knownRoute(mc, key, ts); ok {
		return d
	}
	rs := routeState{cacheable: true}
	kvs, dropped := g.relabelStep(mc, attrs, inHash, &rs)
	if dropped {
		return decision{drop: reasonRelabelDrop}
	}
	var outHash uint64
	for i := range kvs {
		kv := &kvs[i]
		ls := mc.b.label(kv.key, g.detectBuckets, g.named)
		if ls == nil {
			untrackedKeyStep(kv, &rs)
			continue
		}
		if g.denyStep(ls, kv, &rs) {
			continue
		}
		vh := normalizeStep(ls, kv, kv.valueHash(), &rs)
		vh = g.labelLimitStep(mc.b.policy, ls, kv, vh, &rs)
		outHash += pairHash(ls.keyHash, vh)
	}
	g.scratch = kvs
	d, adm := g.seriesCapStep(mc, key, outHash, &rs)
	if d.drop != "" {
		return d
	}
	return g.settle(mc, d, adm, ts, &rs)
}

// valueHash hashes the attribute's value as the steps left it so far.
func (kv *attrKV) valueHash() uint64 {
	if kv.replaced {
		return strHash(kv.repl)
	}
	return valueHash(kv.val)
}

// knownRoute is the fast path of a series whose route is remembered. Both forms hold under
// the same conditions (same epoch, checked less than max_stale/2 ago, so that no admission,
// output or admitted label value they rely on can have been swept) and exclude each other
// when valid (a route is a function of the attribute set and the epoch), so they are tried
// in the order of the metric's last point.
func (g *guard) knownRoute(mc *metricCtx, key uint64, ts pcommon.Timestamp) (decision, bool) {
	if mc.lastFolded {
		if d, ok := g.foldedFast(mc, key); ok {
			return d, true
		}
	}
	// A series already checked and passing through skips the label steps (and the relabel
	// rules: an admission is only marked checked by an input whose attribute set is exactly
	// the output's, and relabelling is a pure function of that set).
	b := mc.b
	if adm := b.admitted[key]; adm != nil && !adm.aggregated && adm.epoch == b.epoch && g.clock-adm.checkedAt < g.recheck {
		adm.lastSeen = g.clock
		adm.lastTs = max(adm.lastTs, uint64(ts))
		mc.lastFolded = false
		return decision{inKey: key, outKey: key, adm: adm}, true
	}
	if !mc.lastFolded {
		if d, ok := g.foldedFast(mc, key); ok {
			return d, true
		}
	}
	return decision{}, false
}

// settle turns the steps' findings into the decision: an unchanged point of a series no
// input folds into passes through (and marks its admission checked); any other point folds.
func (g *guard) settle(mc *metricCtx, d decision, adm *admission, ts pcommon.Timestamp, rs *routeState) decision {
	if !rs.changed && !adm.aggregated {
		adm.lastSeen, adm.checkedAt, adm.epoch = g.clock, g.clock, mc.b.epoch
		adm.lastTs = max(adm.lastTs, uint64(ts))
		d.adm = adm
		return d
	}
	d.fold, d.reason, d.cacheable = true, rs.reason, rs.cacheable && !d.overflow
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
