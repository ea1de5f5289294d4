// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy

import (
	"encoding/binary"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/sampling"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// FuzzTraceState sends one root span with an arbitrary tracestate through the default rules and checks
// the consistent-sampling contract against pkg/sampling:
//   - the decision is th.ShouldSample(randomness), randomness being a valid incoming rv, else the trace
//     id's low 56 bits, and th the stricter of the rule's and a valid incoming th;
//   - a kept span carries exactly that th (an incoming stricter th is never lowered), keeps a valid
//     incoming rv and every other vendor's entry, and always carries a parseable ot=th, even when the
//     incoming tracestate was unparseable.
func FuzzTraceState(f *testing.F) {
	for _, seed := range []struct {
		raw  string
		rnd  uint64
		rule uint8
	}{
		{"", keptRnd, 0},
		{"ot=th:c", 0x00d0000000000000, 1},
		{"ot=th:8;rv:9b8233f7e3a151", 1, 1},
		{"vendor=abc,ot=rv:0000000000000f", keptRnd, 0},
		{"ot=th:zz", keptRnd, 1},
		{"ot=th:fd70a3d70a3d71", keptRnd, 1},
		{"a=1,b=2,ot=th:0;x:y", 7, 2},
		{",,,=", 0, 1},
		{"ot=rv:ffffffffffffff;th:f333", 0, 1},
	} {
		f.Add(seed.raw, seed.rnd, seed.rule)
	}
	f.Fuzz(func(t *testing.T, raw string, rnd uint64, rule uint8) {
		h := newHarness(t, func(c *Config) {
			c.Memory.CompactPercent = 100 // kept spans are the received ones
			if rule&0x80 != 0 {
				c.Memory.CompactPercent = 0 // kept spans come out of compact chunks
			}
		})
		id := traceID(1, rnd&(1<<56-1))
		spec := spanSpec{trace: id, id: 1, tstate: raw}
		ruleName := ""
		switch rule % 3 {
		case 0:
			spec.route, ruleName = "/api/checkout", "high_value"
		case 1:
			spec.route, ruleName = "/api/catalog", "default"
		default:
			spec.route, spec.err, ruleName = "/api/catalog", true, "errors"
		}
		h.send(spec)
		h.tick(3 * time.Second)
		h.p.shards[0].shutdown(h.clk.now)

		var ruleTh sampling.Threshold
		for _, r := range h.p.eng.rules.rules {
			if r.name == ruleName {
				ruleTh = r.threshold
			}
		}
		randomness := sampling.TraceIDToRandomness(id)
		want := ruleTh
		in, inErr := sampling.NewW3CTraceState(raw)
		if raw != "" && inErr == nil {
			ot := in.OTelValue()
			if th, ok := ot.TValueThreshold(); ok && ot.TValue() != "" && sampling.ThresholdGreater(th, want) {
				want = th
			}
			if rv, ok := ot.RValueRandomness(); ok {
				randomness = rv
			}
		}
		keep := want.ShouldSample(randomness)
		kept := h.kept()
		if !keep {
			if len(kept) != 0 {
				t.Fatalf("tracestate %q rnd %x rule %s: kept, but randomness %s fails th %s", raw, rnd, ruleName, randomness.RValue(), want.TValue())
			}
			return
		}
		span, ok := kept[1]
		if !ok || len(kept) != 1 {
			t.Fatalf("tracestate %q rnd %x rule %s: want the span kept (th %s, rv %s), got %d spans", raw, rnd, ruleName, want.TValue(), randomness.RValue(), len(kept))
		}
		outRaw := span.TraceState().AsRaw()
		out, err := sampling.NewW3CTraceState(outRaw)
		if err != nil {
			t.Fatalf("tracestate %q: output %q does not parse: %v", raw, outRaw, err)
		}
		got, ok := out.OTelValue().TValueThreshold()
		if !ok || out.OTelValue().TValue() == "" {
			t.Fatalf("tracestate %q: output %q carries no th", raw, outRaw)
		}
		if got != want {
			t.Fatalf("tracestate %q rule %s: output th %s, want %s (%q)", raw, ruleName, got.TValue(), want.TValue(), outRaw)
		}
		if !got.ShouldSample(randomness) {
			t.Fatalf("tracestate %q: output th %s does not admit the trace's randomness %s", raw, got.TValue(), randomness.RValue())
		}
		if raw != "" && inErr == nil {
			if rv := in.OTelValue().RValue(); rv != "" && out.OTelValue().RValue() != rv {
				t.Fatalf("tracestate %q: rv %q lost in %q", raw, rv, outRaw)
			}
			for _, kv := range in.ExtraValues() {
				if !slices.Contains(out.ExtraValues(), kv) {
					t.Fatalf("tracestate %q: vendor entry %s=%s lost in %q", raw, kv.Key, kv.Value, outRaw)
				}
			}
		}
	})
}

// fuzzReader turns fuzz bytes into choices; exhausted input reads as zeros.
type fuzzReader struct{ b []byte }

func (r *fuzzReader) byte() byte {
	if len(r.b) == 0 {
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *fuzzReader) uint64() uint64 {
	var v uint64
	for range 8 {
		v = v<<8 | uint64(r.byte())
	}
	return v
}

func (r *fuzzReader) str(maxLen int) string {
	n := int(r.byte()) % (maxLen + 1)
	n = min(n, len(r.b))
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

// FuzzIngest drives the span ingestion path (split, shard ingest, both buffer encodings, decisions,
// caches, eviction, span limit, shutdown) with arbitrary trace ids (a small pool, including the empty id), timestamps (zero,
// end before start, far future and past), attributes (routes, paths, status codes as int or string,
// user agents, synthetic flags) and tracestates, interleaved with clock steps. Invariants:
//   - no panic; never more spans out than in;
//   - every forwarded span carries a sampling.rule and a parseable ot=th;
//   - after shutdown nothing is buffered: bytes and trace counts return to zero;
//   - with no clock step, no eviction and traces under the span limit, every error span of a
//     non-empty trace id is kept.
func FuzzIngest(f *testing.F) {
	f.Add([]byte("\x01\x05\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"))
	f.Add([]byte("\x03\x02\xff\x10\x20\x30\x40\x50\x60\x70\x80/api/checkout\x00\x00\x00"))
	f.Add([]byte("\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
	f.Add(slices.Repeat([]byte("\x07\x41\x13\xf0\x80\x02/api/users/123/orders\x05"), 20))
	f.Add(append([]byte{2}, slices.Repeat([]byte("\x04\x41\x13\xf0\x80\x02/api/checkout/9\x05\x01\x02"), 40)...))
	f.Fuzz(fuzzIngestBody)
}

func fuzzIngestBody(t *testing.T, data []byte) {
	if len(data) > 4096 {
		return
	}
	h := newHarness(t, func(c *Config) {
		c.SpanLimit = 8
		c.Baseline.MinSamples = 2
		c.Baseline.Window = 10 * time.Second
		c.Baseline.SubWindows = 2
		// Small caches: cheap to build per input, and the kept LRU overflows.
		c.DecisionCache.KeptTraces = 2
		c.DecisionCache.DroppedTraces = 1000
		c.Memory.CompactPercent = 100 // buffer references
		if len(data) > 0 && data[0]&1 == 1 {
			c.Memory.CompactPercent = 0 // buffer compact chunks
		}
	})
	// Evict above 18 KiB (a few dozen spans), below what Validate allows to configure.
	sh := h.p.shards[0]
	sh.evictAt, sh.evictTo = 18<<10, 16<<10
	if len(data) > 0 && data[0]&3 == 2 {
		// Switch to compact buffering half-way: traces mix references and chunks.
		sh.compactAt = 8 << 10
	}
	r := &fuzzReader{b: data}
	pool := make([]pcommon.TraceID, 4)
	for i := range pool {
		binary.BigEndian.PutUint64(pool[i][:8], uint64(i+1))
		binary.BigEndian.PutUint64(pool[i][8:], r.uint64())
	}
	pool = append(pool, pcommon.TraceID{}) // empty id: dropped and counted

	type key struct {
		trace pcommon.TraceID
		span  pcommon.SpanID
	}
	in := 0
	ticked := false
	perTrace := map[pcommon.TraceID]int{}
	errorSpans := map[key]bool{}
	for step := 0; len(r.b) > 0 && step < 64; step++ {
		op := r.byte()
		if op%7 == 6 {
			h.tick(time.Duration(r.byte()) * 100 * time.Millisecond)
			ticked = true
			continue
		}
		td := ptrace.NewTraces()
		rs := td.ResourceSpans().AppendEmpty()
		rs.Resource().Attributes().PutStr("service.name", r.str(6))
		if op&0x80 != 0 {
			rs.Resource().Attributes().PutBool("synthetic", true)
		}
		spans := rs.ScopeSpans().AppendEmpty().Spans()
		for range 1 + int(op%5) {
			s := spans.AppendEmpty()
			c := r.byte()
			tid := pool[int(c)%len(pool)]
			s.SetTraceID(tid)
			sid := pcommon.SpanID{r.byte(), 1}
			s.SetSpanID(sid)
			if c&0x08 != 0 {
				s.SetParentSpanID(pcommon.SpanID{r.byte(), 2})
			}
			s.SetName(r.str(8))
			s.SetKind(ptrace.SpanKind(c >> 5 % 6))
			now := uint64(h.clk.now.UnixNano())
			start := now - uint64(r.byte())*uint64(50*time.Millisecond)
			end := now - uint64(r.byte())*uint64(10*time.Millisecond)
			switch r.byte() % 6 {
			case 0:
				start, end = 0, 0
			case 1:
				end = start - 1 // end before start
			case 2:
				end = now + uint64(time.Hour) // clock skew
			case 3:
				end = now - uint64(time.Hour) // long gone
			}
			s.SetStartTimestamp(pcommon.Timestamp(start))
			s.SetEndTimestamp(pcommon.Timestamp(end))
			a := s.Attributes()
			switch r.byte() % 5 {
			case 0:
				a.PutStr("http.route", r.str(16))
			case 1:
				a.PutStr("url.path", r.str(24))
			case 2:
				a.PutStr("http.target", r.str(24))
			}
			isErr := false
			switch v := r.byte(); v % 5 {
			case 0:
				a.PutInt("http.response.status_code", int64(v)*4)
				isErr = int64(v)*4 >= 500
			case 1:
				code := r.str(5)
				a.PutStr("http.status_code", code)
				if n, err := strconv.ParseInt(code, 10, 64); err == nil && n >= 500 {
					isErr = true
				}
			case 2:
				s.Status().SetCode(ptrace.StatusCodeError)
				isErr = true
			}
			if v := r.byte(); v%4 == 0 {
				a.PutStr("user_agent.original", r.str(12))
			} else if v%4 == 1 {
				s.TraceState().FromRaw(r.str(20))
			}
			in++
			if !tid.IsEmpty() {
				perTrace[tid]++
				if isErr && perTrace[tid] <= 8 {
					errorSpans[key{tid, sid}] = true
				}
			}
		}
		h.p.shards[0].ingest(h.p.split(td)[0], h.clk.now)
	}
	h.p.shards[0].shutdown(h.clk.now)

	if b, n := h.p.bufferedBytes(), h.p.bufferedTraces(); b != 0 || n != 0 {
		t.Fatalf("after shutdown: %d bytes and %d traces still accounted as buffered", b, n)
	}
	out := 0
	seen := map[key]bool{}
	for _, td := range h.out {
		rss := td.ResourceSpans()
		for i := 0; i < rss.Len(); i++ {
			sss := rss.At(i).ScopeSpans()
			for j := 0; j < sss.Len(); j++ {
				spans := sss.At(j).Spans()
				for k := 0; k < spans.Len(); k++ {
					s := spans.At(k)
					out++
					if ruleOf(s) == "" {
						t.Fatalf("forwarded span without %s", samplingRuleAttribute)
					}
					w3c, err := sampling.NewW3CTraceState(s.TraceState().AsRaw())
					if err != nil || w3c.OTelValue().TValue() == "" {
						t.Fatalf("forwarded span without a parseable th: %q (%v)", s.TraceState().AsRaw(), err)
					}
					seen[key{s.TraceID(), s.SpanID()}] = true
				}
			}
		}
	}
	if out > in {
		t.Fatalf("%d spans in, %d out", in, out)
	}
	if !ticked && h.counter("evictions") == 0 {
		for k := range errorSpans {
			if !seen[k] {
				t.Fatalf("error span %x of trace %x was not kept", k.span, k.trace)
			}
		}
	}
}
