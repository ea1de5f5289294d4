//go:build !unix

package logreduce

import "time"

// cpuTime is not measured on this platform (cpu-ns/record reads 0).
func cpuTime() time.Duration { return 0 }
