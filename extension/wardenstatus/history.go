package wardenstatus // import "github.com/otelcol-warden/otelcol-warden/extension/wardenstatus"

import (
	"sync"
	"time"
)

// history is a fixed-size ring of collections, one per snapshot interval, for the 5 and 60
// minute windows and the charts. Its size is the configured history (at most maxHistory).
type history struct {
	mu      sync.Mutex
	entries []collection
	next    int
	full    bool
}

func newHistory(size int) *history {
	return &history{entries: make([]collection, size)}
}

func (h *history) add(c collection) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.entries[h.next] = c
	h.next = (h.next + 1) % len(h.entries)
	if h.next == 0 {
		h.full = true
	}
}

// all returns the entries oldest first.
func (h *history) all() []collection {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.full {
		return append([]collection(nil), h.entries[:h.next]...)
	}
	out := make([]collection, 0, len(h.entries))
	out = append(out, h.entries[h.next:]...)
	return append(out, h.entries[:h.next]...)
}

// at returns the newest entry taken at or before t, or the oldest entry if all are newer
// (the window is then shorter than asked; its length says so). ok is false when empty.
func at(entries []collection, t time.Time) (collection, bool) {
	if len(entries) == 0 {
		return collection{}, false
	}
	best := entries[0]
	for _, e := range entries {
		if e.At.After(t) {
			break
		}
		best = e
	}
	return best, true
}
