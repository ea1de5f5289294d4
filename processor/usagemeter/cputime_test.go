// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

//go:build unix

package usagemeter

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time of the whole process (user + system, all threads, GC included): on a
// shared machine it is a steadier measure of cost than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
