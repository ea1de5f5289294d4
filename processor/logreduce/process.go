package logreduce // import "github.com/otelcol-warden/otelcol-warden/processor/logreduce"

import (
	"context"
	"strings"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/ottl/contexts/ottllog"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// process handles one batch; r.mu is held.
func (r *reducer) process(ld plog.Logs) *batchCounts {
	counts := newBatchCounts()
	now := pcommon.NewTimestampFromTime(r.now())
	ld.ResourceLogs().RemoveIf(func(rl plog.ResourceLogs) bool {
		res := rl.Resource()
		service := r.services.name(res)
		sc := counts.service(service)
		g := r.templates.group(r.groupKey(res), service)
		rl.ScopeLogs().RemoveIf(func(sl plog.ScopeLogs) bool {
			hash := uint64(0)
			if r.reduce {
				hash = originHash(&r.hash, res, sl.Scope())
			}
			sl.LogRecords().RemoveIf(func(lr plog.LogRecord) bool {
				return r.record(rl, sl, lr, g, hash, sc, now)
			})
			return sl.LogRecords().Len() == 0
		})
		if g.miner.Len() == 0 {
			// No record of this resource was mined: do not keep an empty tree.
			delete(r.templates.groups, g.key)
		}
		return rl.ScopeLogs().Len() == 0
	})
	return counts
}

// record mines one record and reports whether it is suppressed.
func (r *reducer) record(rl plog.ResourceLogs, sl plog.ScopeLogs, lr plog.LogRecord, g *group, originHash uint64, sc *serviceCounts, now pcommon.Timestamp) bool {
	msg, ok := message(lr, r.cfg.MessageKeys)
	sc.received++
	if !ok {
		sc.passed[reasonNoMessage]++
		sc.bytesReceived += recordBytes(lr, "")
		return false
	}
	size := recordBytes(lr, msg)
	sc.bytesReceived += size
	mined, cut := truncate(msg, r.cfg.Limits.MaxMessageBytes)
	r.tokens = r.tokenizer.Tokenize(r.tokens[:0], mined)
	if cut || (len(r.tokens) == r.cfg.Limits.MaxTokens && r.tokens[len(r.tokens)-1] == "<*>") {
		sc.truncated++
	}
	c := r.templates.mine(g, r.tokens)
	lr.Attributes().PutStr(attrTemplate, c.Template())
	st := &c.State
	st.reportReceived++
	st.lifeReceived++
	if !r.reduce {
		sc.passed[reasonAnnotate]++
		return false
	}
	sev := severity(lr)
	if sev >= r.keepSeverity {
		sc.passed[reasonSeverity]++
		return false
	}
	if r.keepWhen != nil && r.matchesKeepWhen(rl, sl, lr) {
		sc.passed[reasonKeepWhen]++
		return false
	}
	if st.epoch != r.epoch {
		st.epoch, st.kept = r.epoch, 0
	}
	if st.kept < r.cfg.KeepFirst {
		st.kept++
		sc.passed[reasonFirst]++
		return false
	}
	r.suppress(c, &suppressedRecord{
		originHash: originHash, resource: rl.Resource(), scope: sl.Scope(),
		partKey: r.partitionKey(lr.Attributes()), record: lr,
		ts: timestamp(lr, now), severity: sev, bytes: size,
	}, r.evicted, now)
	st.reportSuppressed++
	st.reportBytes += size
	st.lifeSuppressed++
	st.lifeBytes += size
	sc.suppressed++
	sc.bytesSuppressed += size
	return true
}

func (r *reducer) matchesKeepWhen(rl plog.ResourceLogs, sl plog.ScopeLogs, lr plog.LogRecord) bool {
	tCtx := ottllog.NewTransformContext(rl, sl, lr)
	ok, err := r.keepWhen.Eval(context.Background(), tCtx)
	tCtx.Close()
	return err == nil && ok
}

// groupKey joins the values of the group_by resource attributes.
func (r *reducer) groupKey(res pcommon.Resource) string {
	attrs := res.Attributes()
	if len(r.cfg.GroupBy) == 1 {
		if v, ok := attrs.Get(r.cfg.GroupBy[0]); ok {
			return v.AsString()
		}
		return ""
	}
	var b strings.Builder
	for _, k := range r.cfg.GroupBy {
		if v, ok := attrs.Get(k); ok {
			b.WriteString(v.AsString())
		}
		b.WriteByte(0)
	}
	return b.String()
}
