// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tenantrouter // import "github.com/otelcol-warden/otelcol-warden/exporter/tenantrouter"

// maxTenantIDLength is the longest tenant ID Loki, Tempo and Mimir accept (dskit tenant.MaxTenantIDLength).
const maxTenantIDLength = 150

// rejectReason says why a tenant value cannot be used; its name is the value of the `reason`
// attribute on exporter_tenant_router_tenant_values_rejected.
type rejectReason uint8

const (
	reasonNone rejectReason = iota
	reasonEmpty
	reasonTooLong
	reasonInvalidCharacters
	reasonUnsafePathSegment
	reasonWrongType
	rejectReasonCount
)

var rejectReasonNames = [rejectReasonCount]string{"", "empty", "too_long", "invalid_characters", "unsafe_path_segment", "wrong_type"}

func (r rejectReason) String() string { return rejectReasonNames[r] }

// validateTenant applies the tenant ID rules of Grafana's dskit (tenant.ValidTenantID), shared by Loki,
// Tempo and Mimir: 1-150 bytes of [a-zA-Z0-9!-_.*'()], and not "." or "..". Written out here because
// importing dskit would pull a large dependency tree for a 20-line check; every accepted value is
// also a valid HTTP header value. The '|' Mimir uses to join tenants is rejected as well.
func validateTenant(tenant string) rejectReason {
	switch {
	case tenant == "":
		return reasonEmpty
	case len(tenant) > maxTenantIDLength:
		return reasonTooLong
	case tenant == "." || tenant == "..":
		return reasonUnsafePathSegment
	}
	for i := 0; i < len(tenant); i++ {
		if !tenantByteAllowed[tenant[i]] {
			return reasonInvalidCharacters
		}
	}
	return reasonNone
}

var tenantByteAllowed = func() (allowed [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		allowed[c] = true
	}
	for c := 'A'; c <= 'Z'; c++ {
		allowed[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		allowed[c] = true
	}
	for _, c := range "!-_.*'()" {
		allowed[c] = true
	}
	return allowed
}()
