package cardinalityguard // import "github.com/otelcol-warden/otelcol-warden/processor/cardinalityguard"

// Names taken from the data (label keys, metric names, scope values) can carry personal data
// (a key like user_jane@example.com_count). Logs, the report and self-metric attributes show
// such a name verbatim only if it is named in the configuration or is safe; otherwise as a
// stable short hash, "hash:" and 8 hex digits of its SHA-256, so one offender can still be
// followed across reports and restarts. The rule is statusapi's, so the status page and this
// report show the same form (statusapi.ReportName at each place a name is reported).

// configuredNames collects the names the configuration spells out: label keys of the deny
// (built-in included), allow, exclude and normalize lists, metric names of the rules, scope
// attributes and the resource values rules match on. They may be reported verbatim.
func configuredNames(cfg *Config, policies []*policy) map[string]struct{} {
	named := map[string]struct{}{}
	add := func(ss ...string) {
		for _, s := range ss {
			named[s] = struct{}{}
		}
	}
	for _, p := range policies {
		for k := range p.deny {
			add(k)
		}
		for k := range p.exclude {
			add(k)
		}
		for k := range p.normalize {
			add(k)
		}
	}
	add(cfg.AllowLabels...)
	add(cfg.Scope.ResourceAttributes...)
	for i := range cfg.Rules {
		r := &cfg.Rules[i]
		add(r.AllowLabels...)
		add(r.Metrics...)
		for k, v := range r.Resource {
			add(k, v)
		}
	}
	return named
}
