package cardinalityguard // import "github.com/otelcol-warden/otelcol-warden/processor/cardinalityguard"

import (
	"fmt"
	"path"
	"regexp"

	"github.com/prometheus/prometheus/model/relabel"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// policy is a Policy compiled for the hot path: sets instead of lists, regexes compiled once.
type policy struct {
	name       string // rule name, "default" for the top-level policy
	exempt     bool
	relabel    []*relabel.Config
	deny       map[string]struct{}
	normalize  map[string][]valueNormalizer
	exclude    map[string]struct{}
	maxValues  int
	maxSeries  int
	gauge      string
	bounds     string
	summary    string
	match      func(metric string, resource pcommon.Map) bool
	ruleNumber int
}

func compilePolicy(p *Policy, name string) *policy {
	rc, _ := parseRelabelConfigs(p.MetricRelabelConfigs) // validated by Config.Validate
	return &policy{
		name:      name,
		relabel:   rc,
		deny:      denySet(p.DenyLabels, p.AllowLabels),
		normalize: compileNormalizers(p.Normalize),
		exclude:   toSet(p.ExcludeLabels),
		maxValues: p.MaxValuesPerLabel,
		maxSeries: p.MaxSeriesPerMetric,
		gauge:     p.GaugeAggregation,
		bounds:    p.HistogramBoundsMismatch,
		summary:   p.Summary,
		match:     func(string, pcommon.Map) bool { return true },
	}
}

// compileRules layers each rule over the top-level policy; the last element is the default.
func compileRules(cfg *Config) []*policy {
	out := make([]*policy, 0, len(cfg.Rules)+1)
	for i := range cfg.Rules {
		r := &cfg.Rules[i]
		merged := cfg.Policy
		if r.MetricRelabelConfigs != nil {
			merged.MetricRelabelConfigs = r.MetricRelabelConfigs
		}
		if r.DenyLabels != nil {
			merged.DenyLabels = r.DenyLabels
		}
		if r.AllowLabels != nil {
			merged.AllowLabels = r.AllowLabels
		}
		if r.Normalize != nil {
			merged.Normalize = r.Normalize
		}
		if r.MaxValuesPerLabel != nil {
			merged.MaxValuesPerLabel = *r.MaxValuesPerLabel
		}
		if r.MaxSeriesPerMetric != nil {
			merged.MaxSeriesPerMetric = *r.MaxSeriesPerMetric
		}
		if r.ExcludeLabels != nil {
			merged.ExcludeLabels = r.ExcludeLabels
		}
		if r.GaugeAggregation != "" {
			merged.GaugeAggregation = r.GaugeAggregation
		}
		if r.HistogramBoundsMismatch != "" {
			merged.HistogramBoundsMismatch = r.HistogramBoundsMismatch
		}
		if r.Summary != "" {
			merged.Summary = r.Summary
		}
		name := r.Name
		if name == "" {
			name = fmt.Sprintf("rules[%d]", i)
		}
		p := compilePolicy(&merged, name)
		p.exempt = r.Exempt
		p.match = ruleMatcher(r)
		p.ruleNumber = i
		out = append(out, p)
	}
	def := compilePolicy(&cfg.Policy, "default")
	def.ruleNumber = len(cfg.Rules)
	return append(out, def)
}

func ruleMatcher(r *Rule) func(string, pcommon.Map) bool {
	globs := r.Metrics
	var re *regexp.Regexp
	if r.MetricsRegex != "" {
		re = regexp.MustCompile("^(?:" + r.MetricsRegex + ")$")
	}
	resource := r.Resource
	return func(metric string, res pcommon.Map) bool {
		for k, want := range resource {
			v, ok := res.Get(k)
			if !ok || v.AsString() != want {
				return false
			}
		}
		if len(globs) == 0 && re == nil {
			return true
		}
		for _, g := range globs {
			if ok, _ := path.Match(g, metric); ok {
				return true
			}
		}
		return re != nil && re.MatchString(metric)
	}
}

func denySet(deny, allow []string) map[string]struct{} {
	if deny == nil {
		deny = DefaultDenyLabels
	}
	s := toSet(deny)
	for _, a := range allow {
		delete(s, a)
	}
	return s
}

func toSet(xs []string) map[string]struct{} {
	s := make(map[string]struct{}, len(xs))
	for _, x := range xs {
		s[x] = struct{}{}
	}
	return s
}
