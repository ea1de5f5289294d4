package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// request is one pre-encoded export request. Encoding once up front keeps the generator's own CPU out of
// the way of the collector it measures: a send is a copy, a salt and a write.
type request struct {
	signal  string
	payload []byte
	items   int
	// traceIDs are the offsets of the 16 trace-id bytes in payload: every send XORs them with its own
	// salt, so each send carries new traces (a tail sampler would otherwise see late spans of decided
	// traces) while the traces of one request stay distinct and keep their spans together.
	traceIDs []int
}

var methods = map[string]string{
	"traces":  "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
	"logs":    "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
	"metrics": "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
}

// rawCodec sends pre-encoded protobuf bytes and returns the response bytes undecoded. Its name is "proto"
// so the server decodes the request with its ordinary protobuf codec.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) {
	b, ok := v.([]byte)
	if !ok {
		return nil, fmt.Errorf("rawCodec: cannot marshal %T", v)
	}
	return b, nil
}

func (rawCodec) Unmarshal(data []byte, v any) error {
	p, ok := v.(*[]byte)
	if !ok {
		return fmt.Errorf("rawCodec: cannot unmarshal into %T", v)
	}
	*p = append((*p)[:0], data...)
	return nil
}

func (rawCodec) Name() string { return "proto" }

// findTraceIDs returns the offsets of every span's trace id: the field tag and length (0x0a 0x10) followed
// by one of the ids the builder wrote. A random match of 18 bytes elsewhere is not a practical concern.
func findTraceIDs(payload []byte, ids [][16]byte) []int {
	set := make(map[[16]byte]struct{}, len(ids))
	for _, id := range ids {
		set[id] = struct{}{}
	}
	var offsets []int
	for i := 0; i+18 <= len(payload); i++ {
		if payload[i] != 0x0a || payload[i+1] != 0x10 {
			continue
		}
		if _, ok := set[[16]byte(payload[i+2:i+18])]; ok {
			offsets = append(offsets, i+2)
			i += 17
		}
	}
	return offsets
}

// totals are what a run sent and what the collector accepted, per signal.
type totals struct {
	requestsOK, requestsRefused, requestsFailed atomic.Int64
	itemsSent, itemsAccepted, itemsRejected     atomic.Int64
}

// rejected reads partial_success.rejected_<items> from an export response.
func rejected(signal string, resp []byte) (int64, error) {
	switch signal {
	case "traces":
		r := ptraceotlp.NewExportResponse()
		err := r.UnmarshalProto(resp)
		return r.PartialSuccess().RejectedSpans(), err
	case "logs":
		r := plogotlp.NewExportResponse()
		err := r.UnmarshalProto(resp)
		return r.PartialSuccess().RejectedLogRecords(), err
	default:
		r := pmetricotlp.NewExportResponse()
		err := r.UnmarshalProto(resp)
		return r.PartialSuccess().RejectedDataPoints(), err
	}
}

// pacing says how many requests send makes, and how fast.
type pacing struct {
	workers         int
	start, deadline time.Time
	maxRequests     int64   // 0: only the deadline ends the run
	rate            float64 // requests per second over all workers; 0: as fast as the collector answers
}

// wait sleeps until request i is due: start + i/rate (no wait without a rate). A worker that falls
// behind sends at once; the latency is measured from the call, not from when the request was due.
func (p pacing) wait(i int64) {
	if p.rate <= 0 {
		return
	}
	time.Sleep(time.Until(p.start.Add(time.Duration(float64(i) / p.rate * float64(time.Second)))))
}

// send runs workers that export the pool round robin until the deadline, as fast as the collector answers
// or at the paced rate. A request in flight at the deadline is completed (with a timeout), so accepted
// items are exact. It returns the latencies of the requests answered OK.
func send(conn *grpc.ClientConn, pool []*request, p pacing, sent map[string]*totals) (latencySummary, error) {
	workers, deadline, maxRequests := p.workers, p.deadline, p.maxRequests
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	recorders := make([]*latencyRecorder, workers)
	for w := range workers {
		lat := newLatencyRecorder(w)
		recorders[w] = lat
		wg.Go(func() {
			buf := make([]byte, 0, 1<<20)
			var resp []byte
			for time.Now().Before(deadline) {
				i := next.Add(1) - 1
				if maxRequests > 0 && i >= maxRequests {
					return
				}
				p.wait(i)
				if !time.Now().Before(deadline) {
					return
				}
				req := pool[int(i)%len(pool)]
				buf = append(buf[:0], req.payload...)
				salt(buf, req.traceIDs, uint64(i))
				t := sent[req.signal]
				t.itemsSent.Add(int64(req.items))
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				began := time.Now()
				err := conn.Invoke(ctx, methods[req.signal], buf, &resp, grpc.ForceCodec(rawCodec{}))
				took := time.Since(began)
				cancel()
				switch code := status.Code(err); {
				case err == nil:
					rej, perr := rejected(req.signal, resp)
					if perr != nil {
						errs <- fmt.Errorf("%s: undecodable export response: %w", req.signal, perr)
						return
					}
					t.requestsOK.Add(1)
					lat.record(took)
					t.itemsRejected.Add(rej)
					t.itemsAccepted.Add(int64(req.items) - rej)
				case code == codes.Unavailable || code == codes.ResourceExhausted || code == codes.DeadlineExceeded:
					// Back-pressure (memory_limiter, a full queue): what an SDK does, briefly.
					t.requestsRefused.Add(1)
					time.Sleep(5 * time.Millisecond)
				default:
					t.requestsFailed.Add(1)
					if t.requestsFailed.Load() > 100 {
						errs <- fmt.Errorf("%s: more than 100 failed requests, last: %w", req.signal, err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	return summariseLatency(recorders), errors.Join(func() []error {
		var all []error
		for err := range errs {
			all = append(all, err)
		}
		return all
	}()...)
}

// salt XORs every trace id of the request with a value derived from the send's sequence number
// (splitmix64), in both halves, so each send's traces are new and their randomness is well spread.
func salt(buf []byte, offsets []int, seq uint64) {
	if len(offsets) == 0 {
		return
	}
	hi, lo := splitmix(seq), splitmix(seq^0x9e3779b97f4a7c15)
	for _, off := range offsets {
		binary.LittleEndian.PutUint64(buf[off:], binary.LittleEndian.Uint64(buf[off:])^hi)
		binary.LittleEndian.PutUint64(buf[off+8:], binary.LittleEndian.Uint64(buf[off+8:])^lo)
	}
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
