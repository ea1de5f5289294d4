// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package teamid

import (
	"net/netip"
	"testing"

	"github.com/otelcol-warden/otelcol-warden/internal/tenantid"
)

// FuzzValidateTeam checks that an accepted team is a safe label value: dskit-valid, no digit run
// that could be a phone, card or account number, not an IP address, and that validation never panics.
func FuzzValidateTeam(f *testing.F) {
	for _, s := range []string{"payments", "10.0.0.1", "::1", "4111111111111111", "a b", "jane@example.com", "..", "", "team-2026"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := Validate(s)
		if r >= ReasonCount {
			t.Fatalf("reason out of range: %d", r)
		}
		if r != tenantid.OK {
			return
		}
		if tenantid.Validate(s) != tenantid.OK {
			t.Fatalf("accepted %q that tenant validation refuses", s)
		}
		run := 0
		for i := 0; i < len(s); i++ {
			if s[i] >= '0' && s[i] <= '9' {
				run++
				if run > MaxDigitRun {
					t.Fatalf("accepted %q with a run of %d digits", s, run)
				}
			} else {
				run = 0
			}
		}
		if isIP(s) {
			t.Fatalf("accepted IP address %q", s)
		}
	})
}

func isIP(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}
