// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tenantrouter

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configcompression"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otelcol-warden/otelcol-warden/exporter/tenantrouter/internal/metadata"

	"github.com/otelcol-warden/otelcol-warden/internal/tenantid"
)

func TestUnmarshalDefaultConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	cfg := createDefaultConfig().(*Config)
	sub, err := cm.Sub(component.NewID(metadata.Type).String())
	require.NoError(t, err)
	require.NoError(t, sub.Unmarshal(cfg))

	assert.Equal(t, "http://loki:3100/otlp", cfg.ClientConfig.Endpoint)
	assert.Equal(t, "X-Scope-OrgID", cfg.Header)
	assert.Equal(t, UnmatchedDefault, cfg.Unmatched)
	assert.Equal(t, 64, cfg.MaxTenants)
	assert.Equal(t, 16, cfg.MaxTenantsPerBatch)
	assert.Equal(t, configcompression.TypeGzip, cfg.ClientConfig.Compression)
	assert.True(t, cfg.QueueConfig.HasValue())
	// No rules and no default tenant: start-up must refuse this config with a message naming the keys.
	err = confmap.Validate(cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "default_tenant")
	assert.Contains(t, err.Error(), "rules")
}

func TestUnmarshalConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	cfg := createDefaultConfig().(*Config)
	sub, err := cm.Sub(component.NewIDWithName(metadata.Type, "all").String())
	require.NoError(t, err)
	require.NoError(t, sub.Unmarshal(cfg))
	require.NoError(t, confmap.Validate(cfg))

	assert.Equal(t, "http://loki:3100/otlp/v1/logs", cfg.LogsEndpoint)
	assert.Equal(t, "http://tempo:4318/v1/traces", cfg.TracesEndpoint)
	assert.Equal(t, "http://mimir:8080/otlp/v1/metrics", cfg.MetricsEndpoint)
	assert.Equal(t, 10*time.Second, cfg.ClientConfig.Timeout)
	assert.Equal(t, int64(500), cfg.QueueConfig.Get().QueueSize)
	assert.Equal(t, 4, cfg.QueueConfig.Get().NumConsumers)
	assert.Equal(t, 2*time.Minute, cfg.RetryConfig.MaxElapsedTime)
	assert.Equal(t, "X-Tenant", cfg.Header)
	assert.Equal(t, []RuleConfig{
		{Attribute: "pii.scrubbed", Scope: ScopeRecord, Equals: "true", Tenant: "restricted"},
		{Attribute: "k8s.namespace.name", Scope: ScopeResource, Mapping: map[string]string{"payments": "team-payments", "checkout": "team-shop"}, Unmapped: UnmappedSkip},
		{Attribute: "service.namespace"},
	}, cfg.Rules)
	assert.Equal(t, "shared", cfg.DefaultTenant)
	assert.Equal(t, UnmatchedDrop, cfg.Unmatched)
	assert.Equal(t, 20, cfg.MaxTenants)
	assert.Equal(t, 5, cfg.MaxTenantsPerBatch)
	assert.Equal(t, []string{"restricted", "shared", "team-payments", "team-shop"}, cfg.staticTenants())
}

func TestValidate(t *testing.T) {
	valid := func() *Config {
		cfg := createDefaultConfig().(*Config)
		cfg.ClientConfig.Endpoint = "http://127.0.0.1:3100/otlp"
		cfg.DefaultTenant = "shared"
		cfg.Rules = []RuleConfig{{Attribute: "k8s.namespace.name"}}
		return cfg
	}
	tests := []struct {
		name    string
		mutate  func(*Config)
		wantErr string
	}{
		{name: "valid", mutate: func(*Config) {}},
		{name: "drop unmatched without default", mutate: func(c *Config) { c.DefaultTenant = ""; c.Unmatched = UnmatchedDrop }},
		{name: "no endpoint", mutate: func(c *Config) { c.ClientConfig.Endpoint = "" }, wantErr: "endpoint: at least one of"},
		{name: "relative endpoint", mutate: func(c *Config) { c.ClientConfig.Endpoint = "loki:3100" }, wantErr: `endpoint: "loki:3100" is not an absolute`},
		{name: "bad logs endpoint", mutate: func(c *Config) { c.LogsEndpoint = "::" }, wantErr: "logs_endpoint:"},
		{name: "empty header", mutate: func(c *Config) { c.Header = "" }, wantErr: `header: "" is not a valid HTTP header name`},
		{name: "header with space", mutate: func(c *Config) { c.Header = "X Scope" }, wantErr: "header:"},
		{name: "invalid default tenant", mutate: func(c *Config) { c.DefaultTenant = "a/b" }, wantErr: `default_tenant: "a/b" is not a valid tenant ID (invalid_characters)`},
		{name: "default tenant dot-dot", mutate: func(c *Config) { c.DefaultTenant = ".." }, wantErr: "unsafe_path_segment"},
		{name: "default tenant too long", mutate: func(c *Config) { c.DefaultTenant = strings.Repeat("a", 151) }, wantErr: "too_long"},
		{name: "unmatched default needs default tenant", mutate: func(c *Config) { c.DefaultTenant = "" }, wantErr: `default_tenant: must be set when unmatched is "default"`},
		{name: "unknown unmatched", mutate: func(c *Config) { c.Unmatched = "keep" }, wantErr: `unmatched: "keep" must be`},
		{name: "no rules no default", mutate: func(c *Config) { c.Rules = nil; c.DefaultTenant = ""; c.Unmatched = UnmatchedDrop }, wantErr: "rules: at least one rule or a default_tenant"},
		{name: "rule without attribute", mutate: func(c *Config) { c.Rules[0].Attribute = "" }, wantErr: "rules[0].attribute: must not be empty"},
		{name: "rule bad scope", mutate: func(c *Config) { c.Rules[0].Scope = "span" }, wantErr: `rules[0].scope: "span" must be`},
		{name: "rule bad unmapped", mutate: func(c *Config) { c.Rules[0].Unmapped = "drop" }, wantErr: `rules[0].unmapped: "drop" must be`},
		{name: "skip without mapping", mutate: func(c *Config) { c.Rules[0].Unmapped = UnmappedSkip }, wantErr: `rules[0].unmapped: "skip" needs a mapping`},
		{name: "equals without tenant", mutate: func(c *Config) { c.Rules[0].Equals = "true" }, wantErr: "rules[0].equals: requires rules[0].tenant"},
		{name: "tenant and mapping", mutate: func(c *Config) {
			c.Rules[0].Tenant = "x"
			c.Rules[0].Mapping = map[string]string{"a": "b"}
		}, wantErr: "rules[0]: tenant and mapping are mutually exclusive"},
		{name: "invalid rule tenant", mutate: func(c *Config) { c.Rules[0].Tenant = "rest ricted" }, wantErr: `rules[0].tenant: "rest ricted"`},
		{name: "invalid mapping tenant", mutate: func(c *Config) { c.Rules[0].Mapping = map[string]string{"payments": "team|pay"} }, wantErr: `rules[0].mapping["payments"]: "team|pay"`},
		{name: "max tenants zero", mutate: func(c *Config) { c.MaxTenants = 0 }, wantErr: "max_tenants: must be at least 1"},
		{name: "per batch above total", mutate: func(c *Config) { c.MaxTenantsPerBatch = 65 }, wantErr: "max_tenants_per_batch: must be between 1 and max_tenants (64)"},
		{name: "static tenants above limit", mutate: func(c *Config) {
			c.MaxTenants, c.MaxTenantsPerBatch = 1, 1
			c.Rules[0].Tenant = "restricted"
		}, wantErr: "max_tenants: 1 is less than the 2 tenants"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid()
			tt.mutate(cfg)
			err := cfg.Validate()
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

func TestValidateTenant(t *testing.T) {
	tests := map[string]tenantid.Reason{
		"team-payments":          tenantid.OK,
		"A.b_c!d*e'f(g)":         tenantid.OK,
		strings.Repeat("x", 150): tenantid.OK,
		strings.Repeat("x", 151): tenantid.TooLong,
		"":                       tenantid.Empty,
		".":                      tenantid.UnsafePathSegment,
		"..":                     tenantid.UnsafePathSegment,
		"a/b":                    tenantid.InvalidCharacters,
		"a|b":                    tenantid.InvalidCharacters,
		"user@example.com":       tenantid.InvalidCharacters,
		"tenant\r\nX-Evil: 1":    tenantid.InvalidCharacters,
		"ünicode":                tenantid.InvalidCharacters,
	}
	for tenant, want := range tests {
		assert.Equal(t, want, tenantid.Validate(tenant), "tenant %q", tenant)
	}
}

func TestValidateReportsErrorsInAStableOrder(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.ClientConfig.Endpoint = "not-a-url"
	cfg.TracesEndpoint, cfg.MetricsEndpoint, cfg.LogsEndpoint = "x", "y", "z"
	cfg.DefaultTenant = "shared"
	cfg.Rules = []RuleConfig{{Attribute: "ns", Mapping: map[string]string{"d": "..", "a": "a/b", "c": " ", "b": "."}}}
	first := cfg.Validate()
	require.Error(t, first)
	lines := strings.Split(first.Error(), "\n")
	require.Len(t, lines, 8)
	assert.True(t, strings.HasPrefix(lines[0], "endpoint: "))
	assert.True(t, strings.HasPrefix(lines[1], "traces_endpoint: "))
	assert.True(t, strings.HasPrefix(lines[2], "metrics_endpoint: "))
	assert.True(t, strings.HasPrefix(lines[3], "logs_endpoint: "))
	for i, key := range []string{"a", "b", "c", "d"} {
		assert.True(t, strings.HasPrefix(lines[4+i], fmt.Sprintf("rules[0].mapping[%q]: ", key)), lines[4+i])
	}
	for range 10 {
		assert.Equal(t, first.Error(), cfg.Validate().Error())
	}
}
