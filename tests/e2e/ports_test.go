package e2e

import (
	"testing"

	"github.com/otelcol-warden/otelcol-warden/internal/testport"
)

// FreePort returns a loopback TCP port for a process the test starts (internal/testport says how it
// is kept from being taken before that process binds it).
func FreePort(t testing.TB) int { return testport.Free(t) }

// FreeEndpoint returns "127.0.0.1:<free port>".
func FreeEndpoint(t testing.TB) string { return testport.Endpoint(t) }
