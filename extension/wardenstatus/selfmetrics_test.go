package wardenstatus

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
)

func TestParseSelfMetrics(t *testing.T) {
	got, err := parseSelfMetrics(strings.NewReader("otelcol_processor_incoming_items_total{processor=\"x\" 1\n"))
	require.Error(t, err, "malformed exposition")
	assert.Nil(t, got)

	got, err = parseSelfMetrics(strings.NewReader(exposition + `# TYPE otelcol_exporter_send_failed_spans_total counter
otelcol_exporter_send_failed_spans_total{exporter="file/traces"} 2
`))
	require.NoError(t, err)
	assert.Equal(t, &selfCounts{in: 100, out: 100, removed: map[string]uint64{}}, got[componentKey{"processor", "pii_scrub"}])
	assert.Equal(t, &selfCounts{in: 100, out: 30, removed: map[string]uint64{}}, got[componentKey{"processor", "tail_policy"}])
	assert.Equal(t, &selfCounts{in: 105, out: 100, removed: map[string]uint64{"refused": 5}}, got[componentKey{"receiver", "otlp"}])
	assert.Equal(t, &selfCounts{in: 32, out: 30, removed: map[string]uint64{"send_failed": 2}}, got[componentKey{"exporter", "file/traces"}])
}

func TestTelemetryEndpointFromTheConfiguration(t *testing.T) {
	conf := func(host any) *confmap.Conf {
		return confmap.NewFromStringMap(map[string]any{"service": map[string]any{"telemetry": map[string]any{"metrics": map[string]any{
			"readers": []any{
				map[string]any{"periodic": map[string]any{"exporter": map[string]any{"otlp": map[string]any{}}}},
				map[string]any{"pull": map[string]any{"exporter": map[string]any{"prometheus": map[string]any{"host": host, "port": 8888}}}},
			},
		}}}})
	}
	assert.Equal(t, "127.0.0.1:8888", parsePipelineGraph(conf("127.0.0.1")).telemetryEndpoint)
	assert.Equal(t, "127.0.0.1:8888", parsePipelineGraph(conf("0.0.0.0")).telemetryEndpoint, "an unspecified host is read on loopback")
	assert.Equal(t, "[::1]:8888", parsePipelineGraph(conf("::1")).telemetryEndpoint)
	assert.Empty(t, parsePipelineGraph(confmap.New()).telemetryEndpoint)
}
