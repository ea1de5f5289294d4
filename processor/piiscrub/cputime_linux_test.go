//go:build linux

package piiscrub

import (
	"syscall"
	"time"
)

// threadCPUTime is the CPU time consumed by the calling OS thread (RUSAGE_THREAD), so throughput "per core"
// can be measured on a machine that is busy with other work.
func threadCPUTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
