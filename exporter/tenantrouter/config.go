// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tenantrouter // import "github.com/otelcol-warden/otelcol-warden/exporter/tenantrouter"

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"

	"golang.org/x/net/http/httpguts"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/otelcol-warden/otelcol-warden/internal/tenantid"
)

// Config is the tenant_router exporter configuration. The client, queue and retry settings are the
// otlp_http exporter's own (confighttp, exporterhelper), applied to every tenant's send lane.
type Config struct {
	ClientConfig confighttp.ClientConfig `mapstructure:",squash"`
	// QueueConfig is applied per tenant: every tenant gets its own queue of this size and its own consumers.
	QueueConfig configoptional.Optional[exporterhelper.QueueBatchConfig] `mapstructure:"sending_queue"`
	RetryConfig configretry.BackOffConfig                                `mapstructure:"retry_on_failure"`

	// TracesEndpoint, MetricsEndpoint and LogsEndpoint override Endpoint + "/v1/<signal>", as in otlp_http.
	TracesEndpoint  string `mapstructure:"traces_endpoint"`
	MetricsEndpoint string `mapstructure:"metrics_endpoint"`
	LogsEndpoint    string `mapstructure:"logs_endpoint"`

	// Header carries the tenant on every request (Loki, Tempo and Mimir read X-Scope-OrgID).
	Header string `mapstructure:"header"`
	// Rules resolve the tenant of each record; the first rule that yields a valid tenant wins.
	Rules []RuleConfig `mapstructure:"rules"`
	// DefaultTenant receives records no rule matched (when Unmatched is "default") and overflow records.
	DefaultTenant string `mapstructure:"default_tenant"`
	// Unmatched says what happens to records no rule matched: "default" or "drop".
	Unmatched UnmatchedAction `mapstructure:"unmatched"`
	// MaxTenants bounds the number of tenant lanes (queue + retry) this exporter ever opens.
	MaxTenants int `mapstructure:"max_tenants"`
	// MaxTenantsPerBatch bounds the number of requests one incoming batch can fan out to.
	MaxTenantsPerBatch int `mapstructure:"max_tenants_per_batch"`
}

// RuleConfig is one tenant resolution rule.
type RuleConfig struct {
	// Attribute is the attribute key read from the record and/or its resource.
	Attribute string `mapstructure:"attribute"`
	// Scope says where Attribute is read: "record" (span, log record, data point), "resource",
	// or "any" (record first, then resource; the default).
	Scope AttributeScope `mapstructure:"scope"`
	// Equals, with Tenant, makes the rule match only when the attribute's value (string, bool or int,
	// compared as text) equals it. Example: attribute pii.scrubbed, equals "true", tenant restricted.
	Equals string `mapstructure:"equals"`
	// Tenant is the fixed tenant of records this rule matches.
	Tenant string `mapstructure:"tenant"`
	// Mapping translates string attribute values to tenants.
	Mapping map[string]string `mapstructure:"mapping"`
	// Unmapped says what a value missing from Mapping does: "value" uses the value itself as the tenant
	// (after validation; the default), "skip" lets the next rule decide.
	Unmapped UnmappedAction `mapstructure:"unmapped"`
}

// AttributeScope is where a rule reads its attribute.
type AttributeScope string

const (
	ScopeAny      AttributeScope = "any"
	ScopeRecord   AttributeScope = "record"
	ScopeResource AttributeScope = "resource"
)

// UnmatchedAction is what happens to records no rule matched.
type UnmatchedAction string

const (
	UnmatchedDefault UnmatchedAction = "default"
	UnmatchedDrop    UnmatchedAction = "drop"
)

// UnmappedAction is what a rule does with a value missing from its mapping.
type UnmappedAction string

const (
	UnmappedValue UnmappedAction = "value"
	UnmappedSkip  UnmappedAction = "skip"
)

var _ component.Config = (*Config)(nil)

// Validate checks the configuration; every message names the offending key.
func (cfg *Config) Validate() error {
	var errs []error
	if cfg.ClientConfig.Endpoint == "" && cfg.TracesEndpoint == "" && cfg.MetricsEndpoint == "" && cfg.LogsEndpoint == "" {
		errs = append(errs, errors.New("endpoint: at least one of endpoint, traces_endpoint, metrics_endpoint, logs_endpoint must be set"))
	}
	for _, e := range []struct{ key, raw string }{ // in the order of the keys, so errors come in a stable order
		{"endpoint", cfg.ClientConfig.Endpoint}, {"traces_endpoint", cfg.TracesEndpoint},
		{"metrics_endpoint", cfg.MetricsEndpoint}, {"logs_endpoint", cfg.LogsEndpoint},
	} {
		if e.raw == "" {
			continue
		}
		if u, err := url.Parse(e.raw); err != nil || u.Scheme == "" || u.Host == "" {
			errs = append(errs, fmt.Errorf("%s: %q is not an absolute http(s) URL", e.key, e.raw))
		}
	}
	if !httpguts.ValidHeaderFieldName(cfg.Header) {
		errs = append(errs, fmt.Errorf("header: %q is not a valid HTTP header name", cfg.Header))
	}
	if cfg.DefaultTenant != "" {
		if reason := tenantid.Validate(cfg.DefaultTenant); reason != tenantid.OK {
			errs = append(errs, fmt.Errorf("default_tenant: %q is not a valid tenant ID (%s)", cfg.DefaultTenant, reason))
		}
	}
	switch cfg.Unmatched {
	case UnmatchedDefault:
		if cfg.DefaultTenant == "" {
			errs = append(errs, errors.New(`default_tenant: must be set when unmatched is "default" (or set unmatched: drop)`))
		}
	case UnmatchedDrop:
	default:
		errs = append(errs, fmt.Errorf(`unmatched: %q must be "default" or "drop"`, cfg.Unmatched))
	}
	if len(cfg.Rules) == 0 && cfg.DefaultTenant == "" {
		errs = append(errs, errors.New("rules: at least one rule or a default_tenant is required"))
	}
	for i := range cfg.Rules {
		errs = append(errs, cfg.Rules[i].validate(fmt.Sprintf("rules[%d]", i))...)
	}
	if cfg.MaxTenants < 1 {
		errs = append(errs, fmt.Errorf("max_tenants: must be at least 1, got %d", cfg.MaxTenants))
	}
	if cfg.MaxTenantsPerBatch < 1 || cfg.MaxTenantsPerBatch > cfg.MaxTenants {
		errs = append(errs, fmt.Errorf("max_tenants_per_batch: must be between 1 and max_tenants (%d), got %d", cfg.MaxTenants, cfg.MaxTenantsPerBatch))
	}
	if static := len(cfg.staticTenants()); cfg.MaxTenants >= 1 && static > cfg.MaxTenants {
		errs = append(errs, fmt.Errorf("max_tenants: %d is less than the %d tenants named in default_tenant and rules", cfg.MaxTenants, static))
	}
	return errors.Join(errs...)
}

func (r *RuleConfig) validate(key string) []error {
	var errs []error
	if r.Attribute == "" {
		errs = append(errs, fmt.Errorf("%s.attribute: must not be empty", key))
	}
	switch r.Scope {
	case "", ScopeAny, ScopeRecord, ScopeResource:
	default:
		errs = append(errs, fmt.Errorf(`%s.scope: %q must be "any", "record" or "resource"`, key, r.Scope))
	}
	switch r.Unmapped {
	case "", UnmappedValue, UnmappedSkip:
	default:
		errs = append(errs, fmt.Errorf(`%s.unmapped: %q must be "value" or "skip"`, key, r.Unmapped))
	}
	if r.Tenant != "" {
		if len(r.Mapping) > 0 {
			errs = append(errs, fmt.Errorf("%s: tenant and mapping are mutually exclusive", key))
		}
		if reason := tenantid.Validate(r.Tenant); reason != tenantid.OK {
			errs = append(errs, fmt.Errorf("%s.tenant: %q is not a valid tenant ID (%s)", key, r.Tenant, reason))
		}
	} else if r.Equals != "" {
		errs = append(errs, fmt.Errorf("%s.equals: requires %s.tenant", key, key))
	}
	if r.Unmapped == UnmappedSkip && len(r.Mapping) == 0 && r.Tenant == "" {
		errs = append(errs, fmt.Errorf(`%s.unmapped: "skip" needs a mapping`, key))
	}
	for _, value := range slices.Sorted(maps.Keys(r.Mapping)) {
		tenant := r.Mapping[value]
		if reason := tenantid.Validate(tenant); reason != tenantid.OK {
			errs = append(errs, fmt.Errorf("%s.mapping[%q]: %q is not a valid tenant ID (%s)", key, value, tenant, reason))
		}
	}
	return errs
}

// staticTenants are the tenants named in the configuration; their lanes open at start-up.
func (cfg *Config) staticTenants() []string {
	seen := map[string]bool{}
	var tenants []string
	add := func(t string) {
		if t != "" && !seen[t] {
			seen[t] = true
			tenants = append(tenants, t)
		}
	}
	add(cfg.DefaultTenant)
	for _, r := range cfg.Rules {
		add(r.Tenant)
		for _, t := range r.Mapping {
			add(t)
		}
	}
	slices.Sort(tenants)
	return tenants
}
