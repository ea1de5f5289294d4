package piiscrub

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestMetricsActionDefaultDelete(t *testing.T) {
	p := newTestProcessor(t, testConfig(t))
	st := p.getState(sigMetrics)
	defer p.pool.Put(st)
	st.loc = locDataPointAttr
	_, kept := scrubOneAttr(st, "owner", "jane@example.com")
	assert.False(t, kept)
	got, kept := scrubOneAttr(st, "route", "/checkout")
	assert.True(t, kept)
	assert.Equal(t, "/checkout", got)
}

func TestSpanNameDetectorMode(t *testing.T) {
	p := newTestProcessor(t, testConfig(t, func(c *Config) { c.SpanName = "detector" }))
	st := p.getState(sigTraces)
	defer p.pool.Put(st)
	st.loc = locSpanName
	out, _ := st.scrubText("GET /u/jane@example.com")
	assert.Equal(t, "GET /u/<email>", abbreviate(out))
}
