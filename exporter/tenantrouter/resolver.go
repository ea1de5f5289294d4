// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tenantrouter // import "github.com/otelcol-warden/otelcol-warden/exporter/tenantrouter"

import (
	"strconv"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// resolver turns a record's attributes into a tenant with the configured rules, first match wins.
// It holds no state and is safe for concurrent use; outcomes are tallied in the caller's batchTally.
type resolver struct {
	rules []tenantRule
	// resourceOnly is true when every rule reads resource attributes only, so a resource's tenant is
	// resolved once instead of once per record.
	resourceOnly bool
}

type tenantRule struct {
	key          string
	scope        AttributeScope
	equals       string
	tenant       string
	mapping      map[string]string
	skipUnmapped bool
}

func newResolver(cfg *Config) *resolver {
	r := &resolver{resourceOnly: true}
	for _, rc := range cfg.Rules {
		scope := rc.Scope
		if scope == "" {
			scope = ScopeAny
		}
		r.rules = append(r.rules, tenantRule{
			key:          rc.Attribute,
			scope:        scope,
			equals:       rc.Equals,
			tenant:       rc.Tenant,
			mapping:      rc.Mapping,
			skipUnmapped: rc.Unmapped == UnmappedSkip,
		})
		if scope != ScopeResource {
			r.resourceOnly = false
		}
	}
	return r
}

// resolve returns the tenant of a record, or "" when no rule yields a valid tenant. Candidate values
// that are present but unusable (wrong type, invalid tenant ID) are counted in tally and the next rule
// is tried: an invalid value never becomes a header.
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
				tally.rejected[reasonWrongType]++
				continue
			}
			if text == rule.equals {
				return rule.tenant
			}
			continue
		}
		if value.Type() != pcommon.ValueTypeStr {
			tally.rejected[reasonWrongType]++
			continue
		}
		text := value.Str()
		if tenant, mapped := rule.mapping[text]; mapped {
			return tenant
		}
		if rule.skipUnmapped {
			continue
		}
		if reason := validateTenant(text); reason != reasonNone {
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
