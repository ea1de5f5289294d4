package logreduce

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/plog"
)

func TestAnnotateSetsTemplateAndPassesEverything(t *testing.T) {
	tr := newTestReducer(t, func(c *Config) { c.Mode = ModeAnnotate })
	tr.consume(t, logsOf(repeat(10, "cart", "cache miss for key product:%d after 12ms")...))
	o := tr.output()
	require.Len(t, o.passed, 10)
	require.Empty(t, o.summaries)
	for _, lr := range o.passed {
		assert.Equal(t, "cache miss for key product:<*> after <*>", attrStr(lr, attrTemplate))
	}
	tr.endWindow(t)
	assert.Empty(t, tr.output().summaries)
}

func TestReduceKeepsFirstAndSummarisesTheRest(t *testing.T) {
	tr := newTestReducer(t, nil)
	tr.consume(t, logsOf(repeat(10, "cart", "cache miss for key product:%d")...))
	o := tr.output()
	require.Len(t, o.passed, 3, "keep_first")
	require.Empty(t, o.summaries, "summaries wait for the window's end")

	tr.endWindow(t)
	o = tr.output()
	require.Len(t, o.summaries, 1)
	s := o.summaries[0]
	assert.Equal(t, "cache miss for key product:<*>", s.Body().Str())
	assert.Equal(t, "cache miss for key product:<*>", attrStr(s, attrTemplate))
	assert.Equal(t, int64(7), attrInt(s, attrCount))
	assert.Equal(t, "2026-12-01T12:00:00.003Z", attrStr(s, attrFirstTimestamp))
	assert.Equal(t, "2026-12-01T12:00:00.009Z", attrStr(s, attrLastTimestamp))
	assert.Equal(t, plog.SeverityNumberInfo, s.SeverityNumber())
	assert.Positive(t, attrInt(s, attrSuppressedBytes))
	assert.Equal(t, "cart", o.summaryRes[0].Attributes().AsRaw()["service.name"])

	// A new window passes the first records again.
	tr.sink.Reset()
	tr.consume(t, logsOf(repeat(4, "cart", "cache miss for key product:%d")...))
	assert.Len(t, tr.output().passed, 3)
}

func TestNeverSuppressed(t *testing.T) {
	tr := newTestReducer(t, func(c *Config) {
		c.KeepWhen = []string{`log.attributes["event.domain"] == "audit"`}
	})
	var recs []rec
	for i := 0; i < 20; i++ {
		recs = append(recs, rec{service: "api", msg: "payment 42 failed", sev: plog.SeverityNumberWarn})
		recs = append(recs, rec{service: "api", msg: "user 42 logged in", sev: plog.SeverityNumberInfo, attrs: map[string]string{"event.domain": "audit"}})
	}
	warnText := logsOf(rec{service: "api", msg: "disk 93% full"})
	warnText.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).SetSeverityText("ERROR")
	tr.consume(t, logsOf(recs...))
	for i := 0; i < 5; i++ {
		tr.consume(t, warnText)
		warnText = logsOf(rec{service: "api", msg: "disk 93% full"})
		warnText.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).SetSeverityText("ERROR")
	}
	tr.endWindow(t)
	o := tr.output()
	assert.Len(t, o.passed, 45)
	assert.Empty(t, o.summaries)
}

func TestServicesNeverMerge(t *testing.T) {
	tr := newTestReducer(t, func(c *Config) { c.KeepFirst = 1 })
	var recs []rec
	for i := 0; i < 5; i++ {
		recs = append(recs, rec{service: "a", msg: "connection reset"}, rec{service: "b", msg: "connection reset"})
	}
	tr.consume(t, logsOf(recs...))
	tr.endWindow(t)
	o := tr.output()
	require.Len(t, o.passed, 2)
	require.Len(t, o.summaries, 2)
	services := map[any]int64{}
	for i, s := range o.summaries {
		services[o.summaryRes[i].Attributes().AsRaw()["service.name"]] = attrInt(s, attrCount)
	}
	assert.Equal(t, map[any]int64{"a": 4, "b": 4}, services)
}

func TestSummariesFollowTheirResourceAndPartition(t *testing.T) {
	tr := newTestReducer(t, func(c *Config) { c.KeepFirst = 0 })
	var recs []rec
	for i := 0; i < 6; i++ {
		pod := []string{"pod-a", "pod-b"}[i%2]
		r := rec{service: "cart", msg: "lookup took 3ms", res: map[string]string{"k8s.pod.name": pod}}
		if i < 2 {
			r.attrs = map[string]string{"pii.scrubbed": "true", "other": "x"}
		}
		recs = append(recs, r)
	}
	tr.consume(t, logsOf(recs...))
	tr.endWindow(t)
	o := tr.output()
	require.Len(t, o.summaries, 4)
	got := map[string]int64{}
	for i, s := range o.summaries {
		pod := o.summaryRes[i].Attributes().AsRaw()["k8s.pod.name"].(string)
		got[pod+"/"+attrStr(s, "pii.scrubbed")] += attrInt(s, attrCount)
		assert.Empty(t, attrStr(s, "other"), "only partition attributes are copied")
	}
	assert.Equal(t, map[string]int64{"pod-a/true": 1, "pod-b/true": 1, "pod-a/": 2, "pod-b/": 2}, got)
}

func TestEvictionEmitsThePendingSummaryFirst(t *testing.T) {
	tr := newTestReducer(t, func(c *Config) {
		c.KeepFirst = 1
		c.Limits.MaxTemplates = 2
		c.Limits.MaxTemplatesPerGroup = 2
	})
	tr.consume(t, logsOf(rec{service: "a", msg: "alpha one"}, rec{service: "a", msg: "alpha one"}, rec{service: "a", msg: "alpha one"}))
	tr.consume(t, logsOf(rec{service: "a", msg: "beta two three"}))
	require.Empty(t, tr.output().summaries)
	tr.consume(t, logsOf(rec{service: "a", msg: "gamma four five six"})) // evicts "alpha one"
	o := tr.output()
	require.Len(t, o.summaries, 1)
	assert.Equal(t, "alpha one", o.summaries[0].Body().Str())
	assert.Equal(t, int64(2), attrInt(o.summaries[0], attrCount))
	assert.Equal(t, 2, tr.templates.total)

	// Overall limit across groups.
	tr2 := newTestReducer(t, func(c *Config) {
		c.KeepFirst = 0
		c.Limits.MaxTemplates = 2
		c.Limits.MaxTemplatesPerGroup = 2
	})
	tr2.consume(t, logsOf(rec{service: "a", msg: "alpha one"}, rec{service: "b", msg: "beta two three"}, rec{service: "c", msg: "gamma four five six"}))
	o = tr2.output()
	require.Len(t, o.summaries, 1)
	assert.Equal(t, "alpha one", o.summaries[0].Body().Str())
	assert.Equal(t, 2, tr2.templates.total)
	assert.Len(t, tr2.templates.groups, 2, "the group of the evicted template is gone")
}

func TestShutdownEmitsPendingSummaries(t *testing.T) {
	tr := newTestReducer(t, nil)
	require.NoError(t, tr.Start(context.Background(), componenttest.NewNopHost()))
	tr.consume(t, logsOf(repeat(8, "cart", "cache miss for key %d")...))
	require.NoError(t, tr.Shutdown(context.Background()))
	o := tr.output()
	require.Len(t, o.summaries, 1)
	assert.Equal(t, int64(5), attrInt(o.summaries[0], attrCount))
	// Safe in any order.
	require.NoError(t, tr.Shutdown(context.Background()))
}

func TestMapBodyAndNoMessage(t *testing.T) {
	tr := newTestReducer(t, func(c *Config) { c.KeepFirst = 0 })
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", "api")
	recs := rl.ScopeLogs().AppendEmpty().LogRecords()
	m := recs.AppendEmpty().Body().SetEmptyMap()
	m.PutInt("message", 3) // not a string: next key
	m.PutStr("msg", "request 17 done")
	recs.AppendEmpty().Body().SetInt(7)
	tr.consume(t, ld)
	tr.endWindow(t)
	o := tr.output()
	require.Len(t, o.passed, 1, "no message: passed")
	require.Len(t, o.summaries, 1)
	assert.Equal(t, "request <*> done", o.summaries[0].Body().Str())
}

func TestLongMessagesAreBounded(t *testing.T) {
	tr := newTestReducer(t, func(c *Config) {
		c.Mode = ModeAnnotate
		c.Limits.MaxMessageBytes = 32
		c.Limits.MaxTokens = 4
	})
	tr.consume(t, logsOf(rec{service: "a", msg: "one two three four five six seven eight nine ten eleven"}))
	assert.Equal(t, "one two three <*>", attrStr(tr.output().passed[0], attrTemplate))
}
