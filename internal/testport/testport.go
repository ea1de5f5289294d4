// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

// Package testport picks loopback ports for the processes a test starts (collectors, Prometheus). A
// port is chosen here and bound later by another process, so it can be taken in between. Two ways that
// happens are avoided:
//   - the same port handed out twice: net.Listen on port 0 may return a port it returned a moment ago
//     once that listener is closed, so every port this process has handed out is remembered;
//   - the local end of an outgoing connection: the kernel takes those from the ephemeral range
//     (net.ipv4.ip_local_port_range), where port 0 also lands, and tests run many clients and exporters
//     while they start collectors. Ports are therefore drawn below that range.
//
// CI once failed an e2e test 0.6 s in, while its gateways started on ports from the ephemeral range.
package testport // import "github.com/otelcol-warden/otelcol-warden/internal/testport"

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

// lowestTestPort keeps clear of the well-known and commonly configured ports below it.
const lowestTestPort = 20_000

var (
	portsMu   sync.Mutex
	handedOut = map[int]bool{}
)

// Free returns a TCP port on 127.0.0.1 that was free a moment ago and that no earlier call in this
// process returned.
func Free(t testing.TB) int {
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

// Endpoint returns "127.0.0.1:<free port>".
func Endpoint(t testing.TB) string {
	return fmt.Sprintf("127.0.0.1:%d", Free(t))
}

// ephemeralLow is the first port of the kernel's ephemeral range, read once. Where it cannot be read, or
// leaves too little room below it, it is 32768 (Linux's default); ports then come partly from inside the
// real range, and only the rule against handing one out twice still holds.
var ephemeralLow = sync.OnceValue(readEphemeralLow)

func readEphemeralLow() int {
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
