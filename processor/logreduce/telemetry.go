package logreduce // import "github.com/otelcol-warden/otelcol-warden/processor/logreduce"

import (
	"context"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/ottl"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/ottl/contexts/ottllog"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/ottl/ottlfuncs"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/otelcol-warden/otelcol-warden/processor/logreduce/internal/metadata"
)

// Reasons a record passed (the reason attribute).
const (
	reasonFirst = iota
	reasonSeverity
	reasonKeepWhen
	reasonAnnotate
	reasonNoMessage
	numReasons
)

var reasonNames = [numReasons]string{"first_in_window", "severity", "keep_when", "annotate", "no_message"}

// otherService stands for services past limits.max_services_in_telemetry.
const otherService = "_other"

func ottlFunctions() map[string]ottl.Factory[*ottllog.TransformContext] {
	return ottlfuncs.StandardConverters[*ottllog.TransformContext]()
}

// serviceNames bounds the service attribute: the first max names seen, then "_other".
type serviceNames struct {
	max  int
	seen map[string]struct{}
}

func (s *serviceNames) name(res pcommon.Resource) string {
	v, ok := res.Attributes().Get("service.name")
	if !ok {
		return "unknown"
	}
	name := v.AsString()
	if _, ok := s.seen[name]; ok {
		return name
	}
	if len(s.seen) >= s.max {
		return otherService
	}
	s.seen[name] = struct{}{}
	return name
}

// serviceCounts are one batch's counts for one service, recorded once per batch (an instrument
// call per record would cost more than the mining).
type serviceCounts struct {
	received, suppressed, truncated int64
	bytesReceived, bytesSuppressed  int64
	passed                          [numReasons]int64
}

type batchCounts struct {
	byService map[string]*serviceCounts
}

func newBatchCounts() *batchCounts { return &batchCounts{byService: map[string]*serviceCounts{}} }

func (b *batchCounts) service(name string) *serviceCounts {
	sc, ok := b.byService[name]
	if !ok {
		sc = &serviceCounts{}
		b.byService[name] = sc
	}
	return sc
}

func (b *batchCounts) record(ctx context.Context, tb *metadata.TelemetryBuilder) {
	for name, sc := range b.byService {
		svc := attribute.String("service", name)
		set := metric.WithAttributeSet(attribute.NewSet(svc))
		addIf(ctx, tb.ProcessorLogReduceRecordsReceived, sc.received, set)
		addIf(ctx, tb.ProcessorLogReduceRecordsSuppressed, sc.suppressed, set)
		addIf(ctx, tb.ProcessorLogReduceBytesReceived, sc.bytesReceived, set)
		addIf(ctx, tb.ProcessorLogReduceBytesSuppressed, sc.bytesSuppressed, set)
		addIf(ctx, tb.ProcessorLogReduceMessagesTruncated, sc.truncated, metric.WithAttributeSet(attribute.NewSet()))
		for reason, n := range sc.passed {
			if n > 0 {
				tb.ProcessorLogReduceRecordsPassed.Add(ctx, n, metric.WithAttributeSet(attribute.NewSet(svc, attribute.String("reason", reasonNames[reason]))))
			}
		}
	}
}

func addIf(ctx context.Context, c metric.Int64Counter, n int64, opt metric.AddOption) {
	if n > 0 {
		c.Add(ctx, n, opt)
	}
}

var (
	triggerSets = map[string]attribute.Set{}
	limitSets   = map[string]attribute.Set{}
)

func init() {
	for _, t := range []string{"window", "eviction", "overflow", "shutdown"} {
		triggerSets[t] = attribute.NewSet(attribute.String("trigger", t))
	}
	for _, l := range []string{"per_group", "total"} {
		limitSets[l] = attribute.NewSet(attribute.String("limit", l))
	}
}

func triggerSet(t string) attribute.Set { return triggerSets[t] }
func limitSet(l string) attribute.Set   { return limitSets[l] }
