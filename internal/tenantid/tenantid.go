// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

// Package tenantid validates tenant and team identifiers taken from telemetry, so that one
// vocabulary serves every component that turns a value from the data into a header, a path
// segment or a metric label (tenant_router's tenants, usage_meter's teams).
package tenantid // import "github.com/otelcol-warden/otelcol-warden/internal/tenantid"

// MaxLength is the longest tenant ID Loki, Tempo and Mimir accept (dskit tenant.MaxTenantIDLength).
const MaxLength = 150

// Reason says why a value cannot be used as an identifier; its String is meant for a bounded
// `reason` attribute on self-telemetry.
type Reason uint8

const (
	OK Reason = iota
	Empty
	TooLong
	InvalidCharacters
	UnsafePathSegment
	WrongType
	// ReasonCount is the number of reasons, for arrays indexed by Reason.
	ReasonCount
)

var reasonNames = [ReasonCount]string{"", "empty", "too_long", "invalid_characters", "unsafe_path_segment", "wrong_type"}

func (r Reason) String() string {
	if r >= ReasonCount {
		return "unknown"
	}
	return reasonNames[r]
}

// Validate applies the tenant ID rules of Grafana's dskit (tenant.ValidTenantID), shared by Loki,
// Tempo and Mimir: 1-150 bytes of [a-zA-Z0-9!-_.*'()], and not "." or "..". Written out here because
// importing dskit would pull a large dependency tree for a 20-line check; every accepted value is
// also a valid HTTP header value and a valid Prometheus label value. The '|' Mimir uses to join
// tenants is rejected as well.
func Validate(id string) Reason {
	switch {
	case id == "":
		return Empty
	case len(id) > MaxLength:
		return TooLong
	case id == "." || id == "..":
		return UnsafePathSegment
	}
	for i := 0; i < len(id); i++ {
		if !byteAllowed[id[i]] {
			return InvalidCharacters
		}
	}
	return OK
}

var byteAllowed = func() (allowed [256]bool) {
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
