package piiscrub // import "github.com/otelcol-warden/otelcol-warden/processor/piiscrub"

import (
	"fmt"
	"strings"
)

// engine is the immutable, compiled form of the configuration, shared by all batches.
type engine struct {
	enabled      [numBuiltin]bool
	actions      [numBuiltin]Action
	entityNames  []string // built-ins, then key-rule entities, then custom patterns
	entityByName map[string]entity

	ipMaskV4, ipMaskV6 int
	ipSkipPrivate      bool
	phoneWords         *wordSet

	secretParams map[string]struct{}

	rules    []compiledRule
	ruleSet  *globSet
	patterns []compiledPattern

	spanNameRedact bool
	metricsAction  Action
	marker         string
	// dataPointMarker is marker when data points are marked too, else empty.
	dataPointMarker string
	failClosed      bool
	maxValue        int
	maxDepth        int

	keys *keyring // nil in mask_only mode
}

type compiledRule struct {
	action Action
	ent    entity
	url    urlKind // for actionURL
}

// actionURL is the internal rule for url_keys: scan the value as a URL. It has the lowest priority.
const actionURL Action = "url"

type compiledPattern struct {
	cp     *customPattern
	ent    entity
	action Action
	scope  *globSet // nil: every string
}

func newEngine(cfg *Config, keys *keyring) (*engine, error) {
	// Validate rejects non-positive limits; a config that skipped it must not silently get other limits.
	if cfg.Limits.MaxValueBytes <= 0 || cfg.Limits.MaxDepth <= 0 {
		return nil, fmt.Errorf("pii_scrub: limits.max_value_bytes (%d) and limits.max_depth (%d) must be positive", cfg.Limits.MaxValueBytes, cfg.Limits.MaxDepth)
	}
	e := &engine{keys: keys, entityByName: map[string]entity{}}
	e.setDetectors(&cfg.Detectors)
	e.compileRules(cfg)
	if err := e.compilePatterns(cfg.Patterns); err != nil {
		return nil, err
	}
	e.spanNameRedact = cfg.SpanName != "detector"
	e.metricsAction = cfg.Metrics.Action
	if e.metricsAction == "" {
		e.metricsAction = ActionDelete
	}
	e.marker = cfg.Marker.Attribute
	if cfg.Marker.DataPoints {
		e.dataPointMarker = e.marker
	}
	e.failClosed = cfg.FailClosed
	e.maxValue = cfg.Limits.MaxValueBytes
	e.maxDepth = cfg.Limits.MaxDepth
	return e, nil
}

// setDetectors compiles the built-in detectors' settings, with each detector's default action.
func (e *engine) setDetectors(d *DetectorsConfig) {
	set := func(ent entity, dc DetectorConfig, def Action) {
		e.enabled[ent] = dc.Enabled
		e.actions[ent] = dc.Action
		if dc.Action == "" {
			e.actions[ent] = def
		}
	}
	set(entEmail, d.Email, ActionHash)
	set(entCard, d.Card, ActionMask)
	set(entSSN, d.SSN, ActionRedact)
	set(entIP, d.IP.DetectorConfig, ActionHash)
	set(entIBAN, d.IBAN, ActionMask)
	set(entPhone, d.Phone.DetectorConfig, ActionHash)
	set(entJWT, d.JWT, ActionRedact)
	set(entAuth, d.Auth, ActionRedact)
	set(entURLSecret, d.URLSecret.DetectorConfig, ActionRedact)
	e.entityNames = append(e.entityNames, builtinNames[:]...)
	for i, n := range builtinNames {
		e.entityByName[n] = entity(i)
	}

	e.ipMaskV4, e.ipMaskV6, e.ipSkipPrivate = d.IP.MaskPrefixV4, d.IP.MaskPrefixV6, d.IP.SkipPrivate
	var words []string
	for _, w := range d.Phone.ContextWords {
		words = append(words, strings.TrimSpace(w))
	}
	e.phoneWords = newWordSet(words...)
	e.secretParams = map[string]struct{}{}
	for _, k := range d.URLSecret.QueryKeys {
		e.secretParams[strings.ToLower(strings.TrimSpace(k))] = struct{}{}
	}
}

// entityFor returns the entity of a key rule or pattern name, numbering a new name after the others.
func (e *engine) entityFor(name string) entity {
	if ent, ok := e.entityByName[name]; ok {
		return ent
	}
	ent := entity(len(e.entityNames))
	e.entityNames = append(e.entityNames, name)
	e.entityByName[name] = ent
	return ent
}

// compileRules builds the key rule set in priority order: the marker (never scanned or deleted), the user's
// rules, the default rules, then url_keys.
func (e *engine) compileRules(cfg *Config) {
	rules := append([]KeyRule(nil), cfg.KeyRules...)
	if cfg.DefaultKeyRules {
		rules = append(rules, defaultKeyRules...)
	}
	e.ruleSet = newGlobSet()
	if cfg.Marker.Attribute != "" {
		e.rules = append(e.rules, compiledRule{action: ActionKeep, ent: noEntity})
		e.ruleSet.add(cfg.Marker.Attribute, 0)
	}
	for _, r := range rules {
		name := r.Entity
		if name == "" {
			name = "key_rule"
		}
		cr := compiledRule{action: r.Action, ent: noEntity}
		if r.Action != ActionKeep {
			cr.ent = e.entityFor(name)
		}
		order := len(e.rules)
		e.rules = append(e.rules, cr)
		for _, k := range r.Keys {
			e.ruleSet.add(k, order)
		}
	}
	for _, k := range cfg.URLKeys {
		kind := urlFull
		switch k {
		case "url.query":
			kind = urlQuery
		case "url.path", "http.target":
			kind = urlPath
		}
		e.ruleSet.add(k, len(e.rules))
		e.rules = append(e.rules, compiledRule{action: actionURL, ent: noEntity, url: kind})
	}
}

// compilePatterns compiles the user patterns (after the key rules, so entity numbers stay as before).
func (e *engine) compilePatterns(patterns []PatternConfig) error {
	for i, p := range patterns {
		cp, err := compilePattern(p.Regex)
		if err != nil {
			return fmt.Errorf("pii_scrub: patterns[%d].regex (%s): %w", i, p.Name, err)
		}
		a := p.Action
		if a == "" {
			a = ActionRedact
		}
		pat := compiledPattern{cp: cp, ent: e.entityFor(p.Name), action: a}
		if len(p.Keys) > 0 {
			pat.scope = newGlobSet()
			for _, k := range p.Keys {
				pat.scope.add(k, 0)
			}
		}
		e.patterns = append(e.patterns, pat)
	}
	return nil
}

// rule returns the key rule for k, or nil.
func (e *engine) rule(k string) *compiledRule {
	if o := e.ruleSet.match(k); o >= 0 {
		return &e.rules[o]
	}
	return nil
}
