package e2e

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Ports for the collectors a test starts are chosen here and bound later by another process, so a port
// can be taken in between. Two ways that happens, both avoided:
//   - the same port handed out twice: net.Listen on port 0 may return a port it returned a moment ago
//     once that listener is closed; handedOut remembers every port this test binary has given;
//   - the local end of an outgoing connection: the kernel takes those from the ephemeral range
//     (net.ipv4.ip_local_port_range), where port 0 also lands, and a test runs many clients and
//     exporters while it starts collectors. Ports are therefore drawn below that range.
//
// CI once failed TestScaleOutAgentRestart 0.6 s in, while its gateways started on ephemeral ports.
const lowestTestPort = 20_000

var (
	portsMu   sync.Mutex
	handedOut = map[int]bool{}
)

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago and that no earlier call returned.
func FreePort(t testing.TB) int {
	t.Helper()
	portsMu.Lock()
	defer portsMu.Unlock()
	low, high := lowestTestPort, ephemeralLow()
	for range 200 {
		port := low + rand.IntN(high-low)
		if handedOut[port] {
			continue
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue
		}
		_ = l.Close()
		handedOut[port] = true
		return port
	}
	t.Fatalf("no free loopback port in [%d, %d) after 200 tries", low, high)
	return 0
}

// FreeEndpoint returns "127.0.0.1:<free port>".
func FreeEndpoint(t testing.TB) string {
	return fmt.Sprintf("127.0.0.1:%d", FreePort(t))
}

// ephemeralLow is the first port of the kernel's ephemeral range, or 32768 (Linux's default) where it
// cannot be read or leaves too little room below it.
func ephemeralLow() int {
	const linuxDefault = 32_768
	raw, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return linuxDefault
	}
	fields := strings.Fields(string(raw))
	if len(fields) == 0 {
		return linuxDefault
	}
	low, err := strconv.Atoi(fields[0])
	if err != nil || low < lowestTestPort+4_096 {
		return linuxDefault
	}
	return low
}

// TestFreePortsAreDistinctAndOutsideTheEphemeralRange checks the two properties the e2e tests rely on.
func TestFreePortsAreDistinctAndOutsideTheEphemeralRange(t *testing.T) {
	seen := map[int]bool{}
	for range 500 {
		port := FreePort(t)
		if seen[port] {
			t.Fatalf("port %d handed out twice", port)
		}
		seen[port] = true
		if port < lowestTestPort || port >= ephemeralLow() {
			t.Fatalf("port %d outside [%d, %d)", port, lowestTestPort, ephemeralLow())
		}
	}
}
