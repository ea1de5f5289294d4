//go:build unix

package logreduce

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time of the whole process (user + system, all threads).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
