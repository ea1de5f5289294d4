// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

// Package tailpolicy implements the tail_policy processor: rule-based tail
// sampling that buffers each trace briefly, decides it with ordered rules
// (first match wins) and forwards kept spans stamped with the W3C tracestate
// `ot=th` threshold and the `sampling.rule` attribute.
//
// A newcomer finds each behaviour in one file:
//
//	factory.go, config.go   configuration, defaults and validation
//	processor.go            ConsumeTraces, the all-or-nothing hand-off to the
//	                        workers, the forwarders and the control loop
//	overload.go             overload states (normal, stateless, refusing)
//	shard.go                one worker's state and its ingest loop
//	buffer.go               traces being buffered, span by span
//	staging.go              the compact encoding's per-batch staging and
//	                        interned resources and scopes
//	codec.go                the compact span encoding
//	codectranscode.go       a compact span from one dictionary to another
//	accounting.go           memory estimates and the eviction of the budget
//	rules.go, condition.go  compiled rules, span classification, OTTL
//	route.go, baseline.go   routes and the learned per-route latency baseline
//	decide.go               applying a rule to a trace, stateless decisions
//	team.go                 per-team budgets: team resolution, per-team scales
//	expiry.go               deadlines: root span, trace timeout, shutdown
//	cache.go                the decision caches for late spans
//	output.go, tracestate.go kept spans into the output; reading and stamping th
//	telemetry.go            self-telemetry (mdatagen)
//	wal.go                  the write-ahead log's configuration and closing
//	walwrite.go             appends and group commits, the hand-off to it
//	walrecord.go            the log's record types and their decoding
//	walround.go             a worker's decisions and segment references
//	walcheckpoint.go        deleting segments, carrying the caches forward
//	walrecover.go           replay in Start: the passes, routing records
//	walreplay.go            one worker's replay
//	walindex.go             replay's first pass: which records it can skip
//	walspans.go             the log's span records (the compact encoding)
//	retention.go            dropped traces to the ring on disk (retain_dropped)
//	retainencode.go         a dropped trace's record for the ring
//	retroactive.go          retained traces back by id, kept retroactively
//	status.go               warden_status providers
package tailpolicy // import "github.com/otelcol-warden/otelcol-warden/processor/tailpolicy"
