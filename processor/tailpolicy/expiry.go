// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy // import "github.com/otelcol-warden/otelcol-warden/processor/tailpolicy"

import (
	"time"
)

// expire decides every trace whose deadline has passed.
func (s *shard) expire(now time.Time) {
	for len(s.queue) > 0 && !s.queue[0].deadline.After(now) {
		ts := s.queue[0]
		s.decide(ts, s.firstMatch(ts, now), ts.trigger, now)
	}
	s.flush()
}

// shutdown decides everything still buffered.
func (s *shard) shutdown(now time.Time) {
	for len(s.queue) > 0 {
		ts := s.queue[0]
		s.decide(ts, s.firstMatch(ts, now), triggerShutdown, now)
	}
	s.flush()
}

// deadlineQueue is a min-heap on deadline whose entries can move earlier
// (root seen), unlike a fixed one-second ring.
type deadlineQueue []*traceState

func (q deadlineQueue) Len() int { return len(q) }

func (q deadlineQueue) Less(i, j int) bool { return q[i].deadline.Before(q[j].deadline) }

func (q deadlineQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].heapIndex, q[j].heapIndex = i, j
}

func (q *deadlineQueue) Push(x any) {
	ts := x.(*traceState)
	ts.heapIndex = len(*q)
	*q = append(*q, ts)
}

func (q *deadlineQueue) Pop() any {
	old := *q
	ts := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	return ts
}
