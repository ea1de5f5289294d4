// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package usagemeter // import "github.com/otelcol-warden/otelcol-warden/processor/usagemeter"

import (
	"math"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// budget holds one team to one signal's SignalBudget: a token bucket in bytes
// (golang.org/x/time/rate) and/or a daily quota. Records the processor may refuse (logs below
// keep_severity, new series) ask admit; records it must let through (WARN+ logs, existing series,
// spans) are charged, which can put the bucket into debt, so a team's unrefusable traffic uses its
// budget first. Only this team's records are ever refused; other teams never wait on it.
type budget struct {
	limiter *rate.Limiter // nil without bytes_per_second
	burst   int
	rate    float64
	daily   int64 // 0 without daily_bytes

	mu        sync.Mutex // guards day and usedToday
	day       int64
	usedToday int64

	// tick state, read by the telemetry callbacks
	bytesSinceTick atomic.Int64
	refusedAt      atomic.Int64 // unix nanoseconds of the last refusal (or, for traces, overrun)
	throttled      atomic.Bool
	utilization    atomic.Uint64 // float64 bits
	lastTick       time.Time
}

// refusal is why admit said no.
type refusal uint8

const (
	admitted refusal = iota
	overRate
	overDailyQuota
)

func newBudget(cfg *SignalBudget) *budget {
	if cfg == nil {
		return nil
	}
	b := &budget{daily: cfg.DailyBytes, rate: cfg.BytesPerSecond, burst: cfg.BurstBytes}
	if cfg.BytesPerSecond > 0 {
		b.limiter = rate.NewLimiter(rate.Limit(cfg.BytesPerSecond), cfg.BurstBytes)
	}
	return b
}

// fits reports whether n bytes can be decided at once by admit (a rate budget cannot grant more
// than its burst in one request; larger resources are decided record by record).
func (b *budget) fits(n int) bool { return b.limiter == nil || n <= b.burst }

// admit takes n bytes from the budget if they fit, else refuses them (and takes nothing).
func (b *budget) admit(now time.Time, n int) refusal {
	if b.daily > 0 {
		b.mu.Lock()
		b.rollDay(now)
		over := b.usedToday+int64(n) > b.daily
		b.mu.Unlock()
		if over {
			b.refusedAt.Store(now.UnixNano())
			return overDailyQuota
		}
	}
	if b.limiter != nil && !b.limiter.AllowN(now, n) {
		b.refusedAt.Store(now.UnixNano())
		return overRate
	}
	b.addToday(now, n)
	b.bytesSinceTick.Add(int64(n))
	return admitted
}

// charge takes n bytes that pass whatever the budget says; it returns whether they were over it
// (which counts as throttled: the team is over its budget even if nothing could be refused).
func (b *budget) charge(now time.Time, n int) bool {
	over := false
	if b.limiter != nil {
		for rest := n; rest > 0; rest -= b.burst {
			chunk := min(rest, b.burst)
			// Reserve never fails for chunk <= burst with an unbounded wait; nobody waits on
			// the reservation: it only records the debt.
			if r := b.limiter.ReserveN(now, chunk); r.DelayFrom(now) > 0 {
				over = true
			}
		}
	}
	if b.daily > 0 {
		b.mu.Lock()
		b.rollDay(now)
		b.usedToday += int64(n)
		over = over || b.usedToday > b.daily
		b.mu.Unlock()
	}
	b.bytesSinceTick.Add(int64(n))
	if over {
		b.refusedAt.Store(now.UnixNano())
	}
	return over
}

func (b *budget) addToday(now time.Time, n int) {
	if b.daily == 0 {
		return
	}
	b.mu.Lock()
	b.rollDay(now)
	b.usedToday += int64(n)
	b.mu.Unlock()
}

// rollDay starts a new quota at 00:00 UTC. Callers hold b.mu.
func (b *budget) rollDay(now time.Time) {
	if day := now.UTC().Unix() / 86400; day != b.day {
		b.day, b.usedToday = day, 0
	}
}

// tick updates utilization and the throttled state; it returns +1 when throttling started, -1 when
// it ended (after releaseAfter without a refusal), else 0. Called once per second off the hot path.
func (b *budget) tick(now time.Time, releaseAfter time.Duration) int {
	util := 0.0
	if b.limiter != nil && !b.lastTick.IsZero() {
		if elapsed := now.Sub(b.lastTick).Seconds(); elapsed > 0 {
			util = float64(b.bytesSinceTick.Swap(0)) / (elapsed * b.rate)
		}
	} else {
		b.bytesSinceTick.Store(0)
	}
	b.lastTick = now
	if b.daily > 0 {
		b.mu.Lock()
		b.rollDay(now)
		util = math.Max(util, float64(b.usedToday)/float64(b.daily))
		b.mu.Unlock()
	}
	b.utilization.Store(math.Float64bits(util))
	refused := b.refusedAt.Load()
	switch {
	case refused != 0 && !b.throttled.Load() && now.UnixNano()-refused < int64(releaseAfter):
		b.throttled.Store(true)
		return +1
	case b.throttled.Load() && now.UnixNano()-refused >= int64(releaseAfter):
		b.throttled.Store(false)
		return -1
	}
	return 0
}

// knownSeries remembers, for a team with a metrics budget, the series seen within the series
// window, so that existing series keep flowing while new ones are refused. Bounded by
// series.max_tracked_per_team; when full, further new series are still admitted while the team is
// within budget but not remembered (they count as new if the team goes over).
type knownSeries struct {
	mu    sync.Mutex
	seen  map[uint64]uint32 // series hash -> window generation last seen
	gen   uint32
	keep  uint32 // generations a series stays known (series.buckets)
	limit int
}

func newKnownSeries(limit, buckets int) *knownSeries {
	return &knownSeries{seen: map[uint64]uint32{}, keep: uint32(buckets), limit: limit}
}

// rotate forgets series not seen for a whole window.
func (k *knownSeries) rotate() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.gen++
	for h, g := range k.seen {
		if k.gen-g >= k.keep {
			delete(k.seen, h)
		}
	}
}

// knows reports whether a series is known, and refreshes it. Callers hold k.mu.
func (k *knownSeries) knows(h uint64) bool {
	if _, ok := k.seen[h]; ok {
		k.seen[h] = k.gen
		return true
	}
	return false
}

// remember adds a series while there is room. Callers hold k.mu.
func (k *knownSeries) remember(h uint64) {
	if len(k.seen) < k.limit {
		k.seen[h] = k.gen
	}
}

// rememberAll adds the series of an admitted resource.
func (k *knownSeries) rememberAll(hashes []uint64) {
	k.mu.Lock()
	for _, h := range hashes {
		if !k.knows(h) {
			k.remember(h)
		}
	}
	k.mu.Unlock()
}
