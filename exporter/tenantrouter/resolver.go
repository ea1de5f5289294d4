// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tenantrouter // import "github.com/otelcol-warden/otelcol-warden/exporter/tenantrouter"

import (
	"strconv"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-warden/otelcol-warden/internal/tenantid"
)

// resolver turns a record's attributes into a tenant with the configured rules, first match wins.
// It holds no state and is safe for concurrent use; outcomes are tallied in the caller's batchTally.
//
// Resolution is split in two so that the resource's part is done once per resource, not once per
// record: planResource evaluates every rule that reads resource attributes on the resource alone
// (lookup, type check, mapping, validation), and resolveRecord then only looks at the record's own
// attributes, falling back to the resource's precomputed outcomes. The result is the same as
// evaluating every rule on every record: rule order, "any" scope (record first, then resource) and
// the per-record counting of rejected values are kept.
type resolver struct {
	rules []tenantRule
	// resourceOnly is true when every rule reads resource attributes only, so a resource's tenant is
	// resolved once instead of once per record.
	resourceOnly bool
	// recordKeys are the attribute keys of the rules that read record attributes.
	recordKeys []string
}

type tenantRule struct {
	key          string
	scope        AttributeScope
	equals       string
	tenant       string
	mapping      map[string]string
	skipUnmapped bool
	// equals parsed once, so a bool or int marker is compared without formatting it.
	equalsBool, equalsIsBool bool
	equalsInt                int64
	equalsIsInt              bool
}

func newResolver(cfg *Config) *resolver {
	r := &resolver{resourceOnly: true}
	for _, rc := range cfg.Rules {
		scope := rc.Scope
		if scope == "" {
			scope = ScopeAny
		}
		rule := tenantRule{
			key:          rc.Attribute,
			scope:        scope,
			equals:       rc.Equals,
			tenant:       rc.Tenant,
			mapping:      rc.Mapping,
			skipUnmapped: rc.Unmapped == UnmappedSkip,
		}
		// strconv.FormatBool/FormatInt render exactly these texts, so comparing parsed values is
		// the same as comparing texts: "true"/"false" only (not "True" or "1"), canonical integers only.
		if rc.Equals == "true" || rc.Equals == "false" {
			rule.equalsBool, rule.equalsIsBool = rc.Equals == "true", true
		}
		if n, err := strconv.ParseInt(rc.Equals, 10, 64); err == nil && strconv.FormatInt(n, 10) == rc.Equals {
			rule.equalsInt, rule.equalsIsInt = n, true
		}
		r.rules = append(r.rules, rule)
		if scope != ScopeResource {
			r.resourceOnly = false
			r.recordKeys = append(r.recordKeys, rc.Attribute)
		}
	}
	return r
}

// ruleOutcome is one rule evaluated on one value: a tenant, a rejection (counted, next rule), or
// neither (no match, next rule).
type ruleOutcome struct {
	found  bool // the attribute is present (resource outcomes only)
	tenant string
	reject tenantid.Reason
}

// evaluate applies the rule to a present attribute value.
func (rule *tenantRule) evaluate(value pcommon.Value) ruleOutcome {
	if rule.tenant != "" {
		if rule.equals == "" {
			return ruleOutcome{found: true, tenant: rule.tenant}
		}
		var match bool
		switch value.Type() {
		case pcommon.ValueTypeStr:
			match = value.Str() == rule.equals
		case pcommon.ValueTypeBool:
			match = rule.equalsIsBool && value.Bool() == rule.equalsBool
		case pcommon.ValueTypeInt:
			match = rule.equalsIsInt && value.Int() == rule.equalsInt
		default:
			// maps, slices, bytes and doubles are the wrong type for a marker
			return ruleOutcome{found: true, reject: tenantid.WrongType}
		}
		if match {
			return ruleOutcome{found: true, tenant: rule.tenant}
		}
		return ruleOutcome{found: true}
	}
	if value.Type() != pcommon.ValueTypeStr {
		return ruleOutcome{found: true, reject: tenantid.WrongType}
	}
	return rule.evaluateText(value.Str())
}

// evaluateText applies a value (mapping) rule to a string value.
func (rule *tenantRule) evaluateText(text string) ruleOutcome {
	if tenant, mapped := rule.mapping[text]; mapped {
		return ruleOutcome{found: true, tenant: tenant}
	}
	if rule.skipUnmapped {
		return ruleOutcome{found: true}
	}
	if reason := tenantid.Validate(text); reason != tenantid.OK {
		return ruleOutcome{found: true, reject: reason}
	}
	return ruleOutcome{found: true, tenant: text}
}

// resourcePlan holds, for one resource, the outcome of every rule that reads resource attributes.
type resourcePlan struct {
	outcomes []ruleOutcome
	// fallback is the tenant of a record on which no rule finds a record attribute, with the
	// rejections counted on the way to it; computed once per resource.
	fallback        string
	fallbackRejects [tenantid.ReasonCount]int64
	fallbackHasRej  bool
}

// planResource evaluates the resource side of every rule on one resource's attributes. plan is
// reused across resources.
func (r *resolver) planResource(resource pcommon.Map, plan *resourcePlan) {
	if cap(plan.outcomes) < len(r.rules) {
		plan.outcomes = make([]ruleOutcome, len(r.rules))
	}
	plan.outcomes = plan.outcomes[:len(r.rules)]
	plan.fallback, plan.fallbackRejects, plan.fallbackHasRej = "", [tenantid.ReasonCount]int64{}, false
	decided := false
	for i := range r.rules {
		rule := &r.rules[i]
		plan.outcomes[i] = ruleOutcome{}
		if rule.scope == ScopeRecord {
			continue
		}
		if v, ok := resource.Get(rule.key); ok {
			plan.outcomes[i] = rule.evaluate(v)
		}
		o := &plan.outcomes[i]
		if decided || !o.found {
			continue
		}
		if o.reject != tenantid.OK {
			plan.fallbackRejects[o.reject]++
			plan.fallbackHasRej = true
		} else if o.tenant != "" {
			plan.fallback, decided = o.tenant, true
		}
	}
}

// recordHits reports whether a rule reading record attributes finds its attribute on this record.
// When none does, the record's tenant is its resource's fallback (planResource), which the caller
// can reuse for every such record of the resource.
func (r *resolver) recordHits(record pcommon.Map) bool {
	for _, key := range r.recordKeys {
		if _, ok := record.Get(key); ok {
			return true
		}
	}
	return false
}

// resolveRecord returns the tenant of a record of the planned resource, or "" when no rule yields a
// valid tenant. Candidate values that are present but unusable (wrong type, invalid tenant ID) are
// counted in tally and the next rule is tried: an invalid value never becomes a header.
func (r *resolver) resolveRecord(record pcommon.Map, plan *resourcePlan, tally *batchTally) string {
	for i := range r.rules {
		rule := &r.rules[i]
		var o ruleOutcome
		if rule.scope != ScopeResource {
			if v, ok := record.Get(rule.key); ok {
				o = rule.evaluate(v)
			} else if rule.scope == ScopeAny {
				o = plan.outcomes[i]
			}
		} else {
			o = plan.outcomes[i]
		}
		if o.reject != tenantid.OK {
			tally.rejected[o.reject]++
			continue
		}
		if o.tenant != "" {
			return o.tenant
		}
	}
	return ""
}

// resolveResource returns the tenant of all records of a resource when every rule reads resource
// attributes only (resourceOnly); rejections are counted once per record (weight).
func (r *resolver) resolveResource(plan *resourcePlan, weight int, tally *batchTally) string {
	if plan.fallbackHasRej {
		for reason, n := range plan.fallbackRejects {
			tally.rejected[reason] += n * int64(weight)
		}
	}
	return plan.fallback
}

// resolve evaluates every rule on one record and its resource; planResource + resolveRecord give
// the same answer faster. Kept as the reference the fuzz test compares them with.
func (r *resolver) resolve(record, resource pcommon.Map, tally *batchTally) string {
	for i := range r.rules {
		rule := &r.rules[i]
		value, found := rule.lookup(record, resource)
		if !found {
			continue
		}
		if rule.tenant != "" {
			if rule.equals == "" {
				return rule.tenant
			}
			text, ok := scalarText(value)
			if !ok {
				tally.rejected[tenantid.WrongType]++
				continue
			}
			if text == rule.equals {
				return rule.tenant
			}
			continue
		}
		if value.Type() != pcommon.ValueTypeStr {
			tally.rejected[tenantid.WrongType]++
			continue
		}
		text := value.Str()
		if tenant, mapped := rule.mapping[text]; mapped {
			return tenant
		}
		if rule.skipUnmapped {
			continue
		}
		if reason := tenantid.Validate(text); reason != tenantid.OK {
			tally.rejected[reason]++
			continue
		}
		return text
	}
	return ""
}

func (rule *tenantRule) lookup(record, resource pcommon.Map) (pcommon.Value, bool) {
	switch rule.scope {
	case ScopeRecord:
		return record.Get(rule.key)
	case ScopeResource:
		return resource.Get(rule.key)
	default:
		if v, ok := record.Get(rule.key); ok {
			return v, true
		}
		return resource.Get(rule.key)
	}
}

// scalarText renders the scalar types an `equals` rule compares (pii_scrub writes a bool; users may
// write strings or ints); maps, slices, bytes and doubles are the wrong type for a marker.
func scalarText(v pcommon.Value) (string, bool) {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return v.Str(), true
	case pcommon.ValueTypeBool:
		return strconv.FormatBool(v.Bool()), true
	case pcommon.ValueTypeInt:
		return strconv.FormatInt(v.Int(), 10), true
	default:
		return "", false
	}
}
