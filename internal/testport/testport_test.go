// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package testport

import "testing"

// TestFreePortsAreDistinctAndOutsideTheEphemeralRange checks the two properties the e2e tests rely on.
func TestFreePortsAreDistinctAndOutsideTheEphemeralRange(t *testing.T) {
	seen := map[int]bool{}
	for range 500 {
		port := Free(t)
		if seen[port] {
			t.Fatalf("port %d handed out twice", port)
		}
		seen[port] = true
		if port < lowestTestPort || port >= ephemeralLow() {
			t.Fatalf("port %d outside [%d, %d)", port, lowestTestPort, ephemeralLow())
		}
	}
}
