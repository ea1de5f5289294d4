// Command loadgen sends realistic OTLP/gRPC telemetry to a collector as fast as it accepts it, for
// `make bench-e2e` (bench/runner) and for anyone profiling a pipeline by hand.
//
// It builds a pool of export requests once, from a fixed seed (HTTP server and client spans, database spans
// with db.query.text, Kafka producer and consumer spans, error traces with exception events, slow traces,
// synthetic-monitor and kube-probe traffic; logs with plain, JSON and map bodies and stack traces; metrics
// with histograms and high-cardinality labels; personal data in -pii of the records), encodes them, and
// then only copies and sends them: each send gets fresh trace ids. When the duration is over it prints
// one JSON line with what was sent and what the collector accepted (items minus partial_success
// rejections; refused requests count as not accepted), and the latency percentiles of the requests
// answered OK.
//
//	go run ./tools/loadgen -endpoint 127.0.0.1:4317 -signals traces,logs -duration 10s
//
// See docs/benchmarks.md for the workload in detail.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"time"

	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

type options struct {
	endpoint    string
	duration    time.Duration
	maxRequests int64
	rate        float64
	workers     int
	seed        uint64
	poolSize    int
	mix         mix
}

// summary is the JSON line loadgen prints at the end.
type summary struct {
	Signals        []string                 `json:"signals"`
	Seconds        float64                  `json:"seconds"`
	ItemsSent      int64                    `json:"items_sent"`
	ItemsAccepted  int64                    `json:"items_accepted"`
	ItemsRejected  int64                    `json:"items_rejected"`
	RequestsOK     int64                    `json:"requests_ok"`
	RequestsRefuse int64                    `json:"requests_refused"`
	RequestsFailed int64                    `json:"requests_failed"`
	PerSignal      map[string]signalSummary `json:"per_signal"`
	// LatencyMs: per request answered OK, from the call to the answer.
	LatencyMs latencySummary `json:"latency_ms"`
}

type signalSummary struct {
	ItemsAccepted int64 `json:"items_accepted"`
	RequestsOK    int64 `json:"requests_ok"`
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	var o options
	fs := flagSet()
	fs.StringVar(&o.endpoint, "endpoint", "127.0.0.1:4317", "OTLP/gRPC endpoint of the collector (host:port, plaintext)")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "how long to send")
	fs.Int64Var(&o.maxRequests, "requests", 0, "stop after this many requests (0: only the duration bounds the run)")
	fs.IntVar(&o.workers, "workers", 4, "concurrent export calls in flight")
	fs.Float64Var(&o.rate, "rate", 0, "requests per second over all workers, paced (0: as fast as the collector answers); "+
		"a rate below the collector's capacity measures latency without queueing behind the load")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the workload: the same seed gives the same requests")
	fs.IntVar(&o.poolSize, "pool", 48, "distinct pre-built requests per signal, sent round robin")
	signals := registerMix(fs, &o.mix)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := o.mix.parseSignals(*signals); err != nil {
		return err
	}
	if err := o.mix.validate(); err != nil {
		return err
	}
	if o.workers < 1 || o.poolSize < 1 || o.duration <= 0 {
		return fmt.Errorf("-workers, -pool and -duration must be positive")
	}
	if o.rate < 0 {
		return fmt.Errorf("-rate must not be negative")
	}
	pool, err := buildPool(&o)
	if err != nil {
		return err
	}
	conn, err := grpc.NewClient(o.endpoint, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallSendMsgSize(64<<20)))
	if err != nil {
		return fmt.Errorf("endpoint %q: %w", o.endpoint, err)
	}
	defer conn.Close()
	sent := map[string]*totals{}
	for _, s := range o.mix.signals {
		sent[s] = &totals{}
	}
	start := time.Now()
	latency, sendErr := send(conn, pool, pacing{workers: o.workers, start: start, deadline: start.Add(o.duration), maxRequests: o.maxRequests, rate: o.rate}, sent)
	out := summarise(o.mix.signals, sent, time.Since(start))
	out.LatencyMs = latency
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		return err
	}
	return sendErr
}

// buildPool builds o.poolSize requests per signal and interleaves the signals.
func buildPool(o *options) ([]*request, error) {
	r := rand.New(rand.NewPCG(o.seed, 0x6f74656c))
	now := time.Now()
	var pool []*request
	for range o.poolSize {
		for _, sig := range o.mix.signals {
			req := &request{signal: sig}
			var err error
			switch sig {
			case "traces":
				td, ids := buildTraces(r, &o.mix, now)
				req.items = td.SpanCount()
				req.payload, err = ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
				req.traceIDs = findTraceIDs(req.payload, ids)
			case "logs":
				ld := buildLogs(r, &o.mix, now)
				req.items = ld.LogRecordCount()
				req.payload, err = plogotlp.NewExportRequestFromLogs(ld).MarshalProto()
			case "metrics":
				md := buildMetrics(r, &o.mix, now)
				req.items = md.DataPointCount()
				req.payload, err = pmetricotlp.NewExportRequestFromMetrics(md).MarshalProto()
			}
			if err != nil {
				return nil, fmt.Errorf("encoding a %s request: %w", sig, err)
			}
			pool = append(pool, req)
		}
	}
	return pool, nil
}

func flagSet() *flag.FlagSet { return flag.NewFlagSet("loadgen", flag.ContinueOnError) }

func summarise(signals []string, sent map[string]*totals, d time.Duration) summary {
	s := summary{Signals: signals, Seconds: d.Seconds(), PerSignal: map[string]signalSummary{}}
	for sig, t := range sent {
		s.ItemsSent += t.itemsSent.Load()
		s.ItemsAccepted += t.itemsAccepted.Load()
		s.ItemsRejected += t.itemsRejected.Load()
		s.RequestsOK += t.requestsOK.Load()
		s.RequestsRefuse += t.requestsRefused.Load()
		s.RequestsFailed += t.requestsFailed.Load()
		s.PerSignal[sig] = signalSummary{ItemsAccepted: t.itemsAccepted.Load(), RequestsOK: t.requestsOK.Load()}
	}
	return s
}
