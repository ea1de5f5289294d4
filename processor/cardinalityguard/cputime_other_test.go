//go:build !unix

package cardinalityguard

import "time"

// cpuTime is not measured on this platform (cpu-ns/point reads 0).
func cpuTime() time.Duration { return 0 }
