package cardinalityguard // import "github.com/otelcol-warden/otelcol-warden/processor/cardinalityguard"

import (
	"github.com/prometheus/otlptranslator"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/relabel"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// relabelStep is step 1, the Prometheus relabel rules (metric_relabel_configs): it fills
// g.scratch with the attributes the rules leave, or, without rules, with the attributes as
// they are. It reports whether the rules drop the point.
func (g *guard) relabelStep(mc *metricCtx, attrs pcommon.Map, inHash uint64, rs *routeState) ([]attrKV, bool) {
	kvs := g.scratch[:0]
	b := mc.b
	if len(b.policy.relabel) == 0 {
		for k, v := range attrs.All() {
			kvs = append(kvs, attrKV{key: k, val: v})
		}
		return kvs, false
	}
	res := b.relabelFor(inHash, attrs, mc.m.Name(), g.cfg.LabelNames)
	if res.drop {
		return kvs, true
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
		rs.change(reasonLabelDropped)
	}
	return kvs, false
}

// relabelFor runs the Prometheus relabel rules on one input attribute set, memoised by the
// set's hash (relabel rules are pure functions of the labels, and regex evaluation costs
// microseconds). The rules see the metric name as __name__ and attribute names either
// verbatim (label_names: otel) or as the Prometheus exporters write them (label_names:
// prometheus). Output labels map back to the attribute they came from when name and value
// are unchanged, so typed values (ints, bools) survive; other labels become string attributes.
// A change to __name__ is ignored: renaming metrics is not this processor's job.
func (b *budget) relabelFor(h uint64, attrs pcommon.Map, metric, names string) *relabelResult {
	if r, ok := b.relabel[h]; ok {
		return r
	}
	if b.relabel == nil || len(b.relabel) >= maxRelabelMemo {
		b.relabel = make(map[uint64]*relabelResult, 64)
	}
	lb := labels.NewBuilder(labels.EmptyLabels())
	lb.Set(labels.MetricName, metric)
	byLabel := make(map[string]string, attrs.Len()) // label name -> attribute key
	for k, v := range attrs.All() {
		name := k
		if names == LabelNamesPrometheus {
			name = sanitizeLabelName(k)
		}
		byLabel[name] = k
		lb.Set(name, v.AsString())
	}
	r := &relabelResult{}
	if !relabel.ProcessBuilder(lb, b.policy.relabel...) {
		r.drop = true
		b.relabel[h] = r
		return r
	}
	lb.Range(func(l labels.Label) {
		if l.Name == labels.MetricName {
			return
		}
		if k, ok := byLabel[l.Name]; ok {
			if v, _ := attrs.Get(k); v.AsString() == l.Value {
				r.kvs = append(r.kvs, relabelKV{key: k, origKey: k})
				return
			}
			r.kvs = append(r.kvs, relabelKV{key: k, value: l.Value})
			return
		}
		r.kvs = append(r.kvs, relabelKV{key: l.Name, value: l.Value})
	})
	b.relabel[h] = r
	return r
}

// identity reports whether the relabel result kept every one of n attributes unchanged.
func (r *relabelResult) identity(n int) bool {
	if len(r.kvs) != n {
		return false
	}
	for _, kv := range r.kvs {
		if kv.origKey == "" {
			return false
		}
	}
	return true
}

// prometheusLabelNamer names labels as the prometheusremotewrite exporter does by default
// (its translation of OTel attribute names: characters outside [a-zA-Z0-9_] become "_",
// repeated underscores collapse, a leading digit gets "key_", a single leading "_" gets "key").
var prometheusLabelNamer = otlptranslator.LabelNamer{UnderscoreLabelSanitization: true} //nolint:staticcheck // the exporter's own setting

func sanitizeLabelName(k string) string {
	name, err := prometheusLabelNamer.Build(k)
	if err != nil {
		return k
	}
	return name
}
