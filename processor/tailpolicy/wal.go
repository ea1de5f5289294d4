// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy // import "github.com/otelcol-warden/otelcol-warden/processor/tailpolicy"

import (
	"fmt"
	"path/filepath"
	"time"

	"go.uber.org/zap"

	"github.com/otelcol-warden/otelcol-warden/processor/tailpolicy/internal/retain"
)

// WALConfig makes the buffer survive a crash (issue 13): accepted spans and
// decisions are appended to a write-ahead log in Directory and replayed in
// Start. An empty Directory (the default) keeps everything in memory only.
type WALConfig struct {
	// Directory holds the log (<directory>/log) and the retained dropped
	// traces (<directory>/retained).
	Directory string `mapstructure:"directory"`
	// Sync is the fsync policy: a Go duration (group commit at most this
	// often), "always" (an fsync for every ConsumeTraces, shared by concurrent
	// callers) or "never" (left to the OS: tests and benchmarks).
	Sync string `mapstructure:"sync"`
	// MaxBytes is the log's disk budget; its fill counts like the memory
	// budget's in the overload grades, and a full log refuses (retryable).
	MaxBytes int64 `mapstructure:"max_bytes"`
	// SegmentBytes is the size at which a segment file is closed; whole
	// segments are deleted once nothing in them is needed any more.
	SegmentBytes int64 `mapstructure:"segment_bytes"`
	// RetainDropped keeps dropped traces' spans on disk for a while.
	RetainDropped RetainDroppedConfig `mapstructure:"retain_dropped"`
}

// RetainDroppedConfig bounds the ring of dropped traces kept on disk.
type RetainDroppedConfig struct {
	// MaxBytes of retained spans; 0 (the default) turns retention off.
	MaxBytes int64 `mapstructure:"max_bytes"`
	// MaxAge a retained trace is kept at most.
	MaxAge time.Duration `mapstructure:"max_age"`
}

const (
	syncAlways = "always"
	syncNever  = "never"
)

func defaultWALConfig() WALConfig {
	return WALConfig{
		Sync:          "5ms",
		MaxBytes:      1 << 30,
		SegmentBytes:  64 << 20,
		RetainDropped: RetainDroppedConfig{MaxAge: time.Hour},
	}
}

// enabled says whether the log is on.
func (c *WALConfig) enabled() bool { return c.Directory != "" }

func (c *WALConfig) logDir() string { return filepath.Join(c.Directory, "log") }

// retaining says whether dropped traces are retained.
func (c *WALConfig) retaining() bool { return c.enabled() && c.RetainDropped.MaxBytes > 0 }

func (c *WALConfig) retainedDir() string { return filepath.Join(c.Directory, "retained") }

// syncInterval parses Sync: always is 0, never is -1.
func (c *WALConfig) syncInterval() (time.Duration, error) {
	switch c.Sync {
	case syncAlways:
		return 0, nil
	case syncNever:
		return -1, nil
	}
	d, err := time.ParseDuration(c.Sync)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is neither a positive duration nor %q or %q", c.Sync, syncAlways, syncNever)
	}
	return d, nil
}

// Validate checks the log's keys; nothing is checked while it is off.
func (c *WALConfig) Validate() error {
	var errs configErrors
	if !c.enabled() {
		if c.RetainDropped.MaxBytes > 0 {
			errs.add("directory", "must be set when retain_dropped.max_bytes is")
		}
		return errs.join()
	}
	if _, err := c.syncInterval(); err != nil {
		errs.add("sync", "%v", err)
	}
	if c.SegmentBytes < 1<<20 {
		errs.add("segment_bytes", "%d is below the minimum of 1 MiB", c.SegmentBytes)
	}
	if c.MaxBytes < 2*c.SegmentBytes {
		errs.add("max_bytes", "%d must be at least twice segment_bytes (%d)", c.MaxBytes, c.SegmentBytes)
	}
	return errs.join()
}

// Validate checks the retention bounds.
func (c *RetainDroppedConfig) Validate() error {
	var errs configErrors
	if c.MaxBytes < 0 {
		errs.add("max_bytes", "must not be negative, got %d", c.MaxBytes)
	}
	if c.MaxBytes > 0 {
		if c.MaxBytes < retain.MinMaxBytes {
			errs.add("max_bytes", "%d is below the minimum of %d (64 KiB)", c.MaxBytes, retain.MinMaxBytes)
		}
		errs.positive("max_age", c.MaxAge)
	}
	return errs.join()
}

// closeWAL compacts the log if everything was forwarded (not when Shutdown's
// context ended first) and closes it; called once the workers finished.
func (p *tailPolicy) closeWAL() {
	if p.wal == nil {
		return
	}
	if p.fwdCtx.Err() == nil {
		if err := p.compactAtShutdown(); err != nil {
			p.logger.Warn("tail_policy: compacting the write-ahead log at shutdown", zap.Error(err))
		}
	}
	if err := p.wal.close(); err != nil {
		p.logger.Warn("tail_policy: closing the write-ahead log", zap.Error(err))
	}
}
