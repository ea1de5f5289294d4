//go:build !linux

package piiscrub

import "time"

func threadCPUTime() (time.Duration, bool) { return 0, false }
