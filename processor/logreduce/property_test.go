package logreduce

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/plog"
)

// formats have different token counts, so their templates never merge and stay stable.
var propertyFormats = []struct{ format, template string }{
	{"cache miss for key product:%d shard %d", "cache miss for key product:<*> shard <*>"},
	{"GET /api/orders/%d took %dms status 200", "GET /api/orders/<*> took <*> status <*>"},
	{"retrying connection to 10.0.0.%d:5432 attempt %d of 5 in backoff", "retrying connection to <*> attempt <*> of <*> in backoff"},
	{"user %d session refreshed, %d left", "user <*> session refreshed, <*> left"},
	{"job %d finished in %d.5s with 0 errors and 3 warnings today", "job <*> finished in <*> with <*> errors and <*> warnings today"},
}

// TestPropertyCountsAreExact: for random streams with random window ends, restarts of the window
// clock, template evictions and a shutdown in the middle of a window, every template's passed
// records plus the counts of its summaries equal the records received, and no WARN+ record is
// suppressed.
func TestPropertyCountsAreExact(t *testing.T) {
	for seed := uint64(1); seed <= 60; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { checkExactCounts(t, seed) })
	}
}

func checkExactCounts(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, seed*7919))
	tr := newTestReducer(t, func(c *Config) {
		c.KeepFirst = rng.IntN(4)
		c.Limits.MaxTemplatesPerGroup = 1 + rng.IntN(5)
		c.Limits.MaxTemplates = c.Limits.MaxTemplatesPerGroup + rng.IntN(6)
		c.Limits.MaxSummariesPerTemplate = 1 + rng.IntN(3)
	})
	ctx := context.Background()
	require.NoError(t, tr.Start(ctx, componenttest.NewNopHost()))
	received := map[string]int64{}
	warnIn := 0
	for step := 0; step < 40; step++ {
		var recs []rec
		for n := rng.IntN(30); n > 0; n-- {
			f := propertyFormats[rng.IntN(len(propertyFormats))]
			svc := fmt.Sprint("svc-", rng.IntN(3))
			r := rec{service: svc, msg: fmt.Sprintf(f.format, rng.IntN(1000), rng.IntN(1000)), sev: plog.SeverityNumberInfo,
				res: map[string]string{"k8s.pod.name": fmt.Sprint("pod-", rng.IntN(3))}}
			if rng.IntN(10) == 0 {
				r.sev = plog.SeverityNumberWarn + plog.SeverityNumber(rng.IntN(8))
				warnIn++
			}
			if rng.IntN(4) == 0 {
				r.attrs = map[string]string{"pii.scrubbed": "true"}
			}
			received[svc+"|"+f.template]++
			recs = append(recs, r)
		}
		tr.consume(t, logsOf(recs...))
		switch rng.IntN(8) {
		case 0:
			tr.endWindow(t)
		case 1: // restart of the window clock: pending summaries are emitted at the stop
			require.NoError(t, tr.Shutdown(ctx))
			require.NoError(t, tr.Start(ctx, componenttest.NewNopHost()))
		}
	}
	require.NoError(t, tr.Shutdown(ctx)) // mid-window

	o := tr.output()
	warnOut := 0
	for _, lr := range o.passed {
		if lr.SeverityNumber() >= plog.SeverityNumberWarn {
			warnOut++
		}
	}
	got := map[string]int64{}
	for _, ld := range tr.sink.AllLogs() {
		for _, rl := range ld.ResourceLogs().All() {
			svc := rl.Resource().Attributes().AsRaw()["service.name"].(string)
			for _, sl := range rl.ScopeLogs().All() {
				for _, lr := range sl.LogRecords().All() {
					if n := attrInt(lr, attrCount); n >= 0 {
						require.Equal(t, attrStr(lr, attrTemplate), lr.Body().Str())
						got[svc+"|"+lr.Body().Str()] += n
						continue
					}
					got[svc+"|"+attrStr(lr, attrTemplate)]++
				}
			}
		}
	}
	require.Equal(t, received, got)
	require.Equal(t, warnIn, warnOut, "WARN+ records are never suppressed")
}
