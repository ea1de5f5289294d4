package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	dto "github.com/prometheus/client_model/go"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploggrpc"
	otellog "go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
)

// noisyCache is the service every log bill has: a cache that logs each miss, a few per request, so
// that log_reduce has repetitions to fold (its logs are INFO; one in 200 is a WARN about the backend).
type noisyCache struct {
	rng    *rand.Rand
	logger otellog.Logger
	sent   int
}

// missesPerRequest is how many cache misses one shop request causes.
const missesPerRequest = 8

func newNoisyCache(ctx context.Context, endpoint string, p *providers, seed uint64) (*noisyCache, error) {
	le, err := otlploggrpc.New(ctx, otlploggrpc.WithEndpoint(endpoint), otlploggrpc.WithInsecure())
	if err != nil {
		return nil, err
	}
	res := resource.NewSchemaless(
		attribute.String("service.name", "cache"),
		attribute.String("k8s.namespace.name", shopNamespace("cache")),
		attribute.String("k8s.pod.name", "cache-5f7d8c9b4-q7w2e"),
	)
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewBatchProcessor(le, sdklog.WithMaxQueueSize(1<<16))), sdklog.WithResource(res))
	p.logs = append(p.logs, lp)
	return &noisyCache{rng: rand.New(rand.NewPCG(seed, 0xcac4e)), logger: lp.Logger("demo/cache")}, nil
}

// burst logs the misses of one request.
func (c *noisyCache) burst(ctx context.Context) {
	for range missesPerRequest {
		var rec otellog.Record
		rec.SetTimestamp(time.Now())
		rec.SetSeverity(otellog.SeverityInfo)
		body := fmt.Sprintf("cache miss for key product:%d, loading from postgres took %dms", c.rng.IntN(50000), 1+c.rng.IntN(40))
		if c.rng.IntN(200) == 0 {
			rec.SetSeverity(otellog.SeverityWarn)
			body = fmt.Sprintf("cache backend redis-%d unreachable, serving from postgres", c.rng.IntN(3))
		}
		rec.SetBody(attribute.StringValue(body))
		c.logger.Emit(ctx, rec)
		c.sent++
	}
}

// printLogSavings tells what log_reduce did: records and bytes in and suppressed per service (its own
// metrics) and the suppressed records the output's summaries account for.
func printLogSavings(w io.Writer, self map[string]*dto.MetricFamily, logs []plog.Logs, cacheSent int) {
	metric := func(name string) map[string]float64 {
		m := sumBy(self, name, "service")
		for k, v := range sumBy(self, name+"_total", "service") {
			m[k] += v
		}
		return m
	}
	received, suppressed := metric("otelcol_processor_log_reduce_records_received"), metric("otelcol_processor_log_reduce_records_suppressed")
	inBytes, savedBytes := metric("otelcol_processor_log_reduce_bytes_received"), metric("otelcol_processor_log_reduce_bytes_suppressed")
	if len(received) == 0 {
		fmt.Fprintln(w, "\nlog_reduce: no metrics found (is log_reduce in the logs pipeline?)")
		return
	}
	var summaries, summarised int64
	for _, ld := range logs {
		for _, rl := range ld.ResourceLogs().All() {
			for _, sl := range rl.ScopeLogs().All() {
				for _, lr := range sl.LogRecords().All() {
					if v, ok := lr.Attributes().Get("log_reduce.count"); ok {
						summaries++
						summarised += v.Int()
					}
				}
			}
		}
	}
	fmt.Fprintf(w, "\nlog_reduce: %.0f of %.0f log records folded into %d summaries (the noisy cache sent %d); log volume saved: %s of %s (%.1f%%)\n",
		total(suppressed), total(received), summaries, cacheSent, humanBytes(total(savedBytes)), humanBytes(total(inBytes)), 100*total(savedBytes)/max(total(inBytes), 1))
	fmt.Fprintf(w, "  suppressed records accounted for by the summaries' log_reduce.count: %d\n", summarised)
	for svc, n := range suppressed {
		if n > 0 {
			fmt.Fprintf(w, "  %-10s %6.0f of %6.0f records, %s of %s saved\n", svc, n, received[svc], humanBytes(savedBytes[svc]), humanBytes(inBytes[svc]))
		}
	}
}
