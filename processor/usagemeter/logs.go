// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package usagemeter // import "github.com/otelcol-warden/otelcol-warden/processor/usagemeter"

import (
	"context"
	"strings"
	"time"

	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor"
)

// logsMeter counts log records and enforces log budgets: a team over budget loses its records
// below keep_severity; records at or above it always pass (and are charged to the budget). Usage
// is counted as the records arrive, before the budget: what a team sent, with what was refused
// in dropped; the next usage_meter stage counts what remained.
type logsMeter struct {
	*instance
	next  consumer.Logs
	sizer plog.ProtoMarshaler
}

func newLogsMeter(set processor.Settings, cfg *Config, next consumer.Logs) (*logsMeter, error) {
	in, err := newInstance(set, cfg, signalLogs)
	if err != nil {
		return nil, err
	}
	return &logsMeter{instance: in, next: next}, nil
}

func (p *logsMeter) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	var tl tally
	var emptied []bool // resources left without records by enforcement, removed below
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		rl := rls.At(i)
		t := p.teamOf(rl.Resource().Attributes(), &tl)
		// Usage is what arrived; records refused below are counted in dropped as well.
		size := framed(p.sizer.ResourceLogsSize(rl))
		tl.add(t, int64(logRecords(rl)), size)
		if b := t.budgets[signalLogs]; b != nil {
			now := p.m.now()
			if !b.fits(int(size)) || b.admit(now, int(size)) != admitted {
				p.enforce(rl, t, b, now, &tl)
				if rl.ScopeLogs().Len() == 0 {
					if emptied == nil {
						emptied = make([]bool, rls.Len())
					}
					emptied[i] = true
				}
			}
		}
	}
	if emptied != nil {
		i := 0
		rls.RemoveIf(func(plog.ResourceLogs) bool { i++; return emptied[i-1] })
	}
	p.flush(ctx, &tl)
	if rls.Len() == 0 {
		return nil
	}
	return p.next.ConsumeLogs(ctx, ld)
}

// enforce decides a resource record by record: records at or above keep_severity are charged and
// kept, others are kept while the budget admits them. Scopes left empty are removed.
func (p *logsMeter) enforce(rl plog.ResourceLogs, t *team, b *budget, now time.Time, tl *tally) {
	var refused, refusedBytes [3]int64
	sls := rl.ScopeLogs()
	for j := 0; j < sls.Len(); j++ {
		sls.At(j).LogRecords().RemoveIf(func(lr plog.LogRecord) bool {
			n := int(framed(p.sizer.LogRecordSize(lr)))
			if severityOf(lr) >= p.m.keep {
				b.charge(now, n)
				return false
			}
			r := b.admit(now, n)
			refused[r]++
			refusedBytes[r] += int64(n)
			return r != admitted
		})
	}
	sls.RemoveIf(func(sl plog.ScopeLogs) bool { return sl.LogRecords().Len() == 0 })
	tl.drop(t, reasonBudget, refused[overRate], refusedBytes[overRate])
	tl.drop(t, reasonDailyQuota, refused[overDailyQuota], refusedBytes[overDailyQuota])
}

func logRecords(rl plog.ResourceLogs) int {
	n := 0
	sls := rl.ScopeLogs()
	for j := 0; j < sls.Len(); j++ {
		n += sls.At(j).LogRecords().Len()
	}
	return n
}

// severityOf is the record's severity number, or, when unset, the one its severity text names
// ("WARNING", "Error", "err", "crit" ...). A record with neither has no proven severity and is
// treated as below any keep_severity above TRACE.
func severityOf(lr plog.LogRecord) plog.SeverityNumber {
	if n := lr.SeverityNumber(); n != plog.SeverityNumberUnspecified {
		return n
	}
	text := lr.SeverityText()
	if text == "" {
		return plog.SeverityNumberUnspecified
	}
	t := strings.ToLower(text)
	for _, p := range severityPrefixes {
		if strings.HasPrefix(t, p.prefix) {
			return p.number
		}
	}
	return plog.SeverityNumberUnspecified
}

var severityPrefixes = []struct {
	prefix string
	number plog.SeverityNumber
}{
	{"trace", plog.SeverityNumberTrace}, {"debug", plog.SeverityNumberDebug}, {"info", plog.SeverityNumberInfo},
	{"notice", plog.SeverityNumberInfo2}, {"warn", plog.SeverityNumberWarn}, {"err", plog.SeverityNumberError},
	{"crit", plog.SeverityNumberFatal}, {"alert", plog.SeverityNumberFatal}, {"emerg", plog.SeverityNumberFatal},
	{"fatal", plog.SeverityNumberFatal}, {"panic", plog.SeverityNumberFatal},
}
