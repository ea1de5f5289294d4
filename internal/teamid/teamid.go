// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

// Package teamid finds the team of a resource and validates team names taken from telemetry, with
// one set of rules for every component that counts or budgets per team (usage_meter's meters,
// tail_policy's team budgets), so a team means the same thing on every metric and in every log.
package teamid // import "github.com/otelcol-warden/otelcol-warden/internal/teamid"

import (
	"net/netip"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-warden/otelcol-warden/internal/tenantid"
)

// Team values are label values on the collector's own metrics and names in its log, so on top of
// the tenant rules (tenantid: no header, path or label injection) a value shaped like personal
// data is refused: an IP address, or a run of more than MaxDigitRun digits (phone, card and
// account numbers, numeric user IDs). Namespaces and service names never look like that.
const (
	// PersonalData is the reason a value shaped like personal data is refused.
	PersonalData = tenantid.ReasonCount + iota
	// ReasonCount is the number of reasons, for arrays indexed by tenantid.Reason.
	ReasonCount
)

// MaxDigitRun is the longest run of digits a team name may have.
const MaxDigitRun = 6

// ReasonName is the value of a bounded `reason` attribute for r.
func ReasonName(r tenantid.Reason) string {
	if r == PersonalData {
		return "looks_like_personal_data"
	}
	return r.String()
}

// Validate returns tenantid.OK when team can be used as a team name and label value.
func Validate(team string) tenantid.Reason {
	if r := tenantid.Validate(team); r != tenantid.OK {
		return r
	}
	run := 0
	for i := 0; i < len(team); i++ {
		if c := team[i]; c >= '0' && c <= '9' {
			if run++; run > MaxDigitRun {
				return PersonalData
			}
		} else {
			run = 0
		}
	}
	if strings.ContainsAny(team, ".:") {
		if _, err := netip.ParseAddr(team); err == nil {
			return PersonalData
		}
	}
	return tenantid.OK
}

// Resolver finds the team of a resource: the first of Attributes that is a string and is mapped
// (Mapping may name any team, valid as a value or not) or valid; else Default. It holds no state.
type Resolver struct {
	Attributes []string
	Mapping    map[string]string
	Default    string
}

// Resolve returns the team of a resource. A refused value is counted in rejected (when not nil)
// and the next attribute is tried, so an invalid value never becomes a team.
func (r *Resolver) Resolve(resource pcommon.Map, rejected *[ReasonCount]int64) string {
	for _, key := range r.Attributes {
		v, ok := resource.Get(key)
		if !ok {
			continue
		}
		if v.Type() != pcommon.ValueTypeStr {
			count(rejected, tenantid.WrongType)
			continue
		}
		s := v.Str()
		if team, mapped := r.Mapping[s]; mapped {
			return team
		}
		if reason := Validate(s); reason != tenantid.OK {
			count(rejected, reason)
			continue
		}
		return s
	}
	return r.Default
}

func count(rejected *[ReasonCount]int64, reason tenantid.Reason) {
	if rejected != nil {
		rejected[reason]++
	}
}
