//go:generate go tool mdatagen metadata.yaml

// Package piiscrub implements the pii_scrub processor: validated detectors for personal data in every field of
// traces, logs and metrics, replaced by keyed HMAC-SHA256 pseudonyms, masks or placeholders.
package piiscrub // import "github.com/otelcol-warden/otelcol-warden/processor/piiscrub"

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"

	"github.com/otelcol-warden/otelcol-warden/processor/piiscrub/internal/metadata"
)

// NewFactory returns the factory of the pii_scrub processor.
func NewFactory() processor.Factory {
	return processor.NewFactory(
		metadata.Type,
		createDefaultConfig,
		processor.WithTraces(createTraces, metadata.TracesStability),
		processor.WithLogs(createLogs, metadata.LogsStability),
		processor.WithMetrics(createMetrics, metadata.MetricsStability),
	)
}

// defaultURLSecretKeys are query parameter names whose values are secrets (semantic conventions' list plus common ones).
var defaultURLSecretKeys = []string{
	"token", "access_token", "refresh_token", "id_token", "auth", "authorization", "code",
	"password", "passwd", "pwd", "pass", "secret", "client_secret", "key", "api_key", "apikey",
	"sig", "signature", "session", "sessionid", "session_id", "sid", "jwt",
	"awsaccesskeyid", "x-amz-signature", "x-amz-credential", "x-amz-security-token",
	"x-goog-signature", "x-goog-credential",
}

// defaultPhoneContextWords allow national phone formats when they appear shortly before the number.
var defaultPhoneContextWords = []string{
	"phone", "tel", "telephone", "mobile", "cell", "call", "fax", "sms", "whatsapp", "contact", "msisdn", "dial",
}

func createDefaultConfig() component.Config {
	return &Config{
		Key: KeyConfig{
			Rotation:       RotationNone,
			ReloadInterval: 10 * time.Second,
		},
		Detectors: DetectorsConfig{
			Email:     DetectorConfig{Enabled: true, Action: ActionHash},
			Card:      DetectorConfig{Enabled: true, Action: ActionMask},
			SSN:       DetectorConfig{Enabled: true, Action: ActionRedact},
			IP:        IPConfig{DetectorConfig: DetectorConfig{Enabled: true, Action: ActionHash}, MaskPrefixV4: 24, MaskPrefixV6: 48},
			IBAN:      DetectorConfig{Enabled: true, Action: ActionMask},
			Phone:     PhoneConfig{DetectorConfig: DetectorConfig{Enabled: true, Action: ActionHash}, ContextWords: defaultPhoneContextWords},
			JWT:       DetectorConfig{Enabled: true, Action: ActionRedact},
			Auth:      DetectorConfig{Enabled: true, Action: ActionRedact},
			URLSecret: URLSecretConfig{DetectorConfig: DetectorConfig{Enabled: true, Action: ActionRedact}, QueryKeys: defaultURLSecretKeys},
		},
		DefaultKeyRules: true,
		URLKeys:         []string{"url.full", "url.original", "http.url", "url.path", "url.query", "http.target"},
		SpanName:        "redact",
		Metrics:         MetricsConfig{Action: ActionDelete},
		Marker:          MarkerConfig{Attribute: "pii.scrubbed"},
		FailClosed:      true,
		Limits:          LimitsConfig{MaxValueBytes: defaultMaxValueBytes, MaxDepth: defaultMaxDepth},
	}
}

func createTraces(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Traces) (processor.Traces, error) {
	p, err := newScrubProcessor(cfg.(*Config), set)
	if err != nil {
		return nil, err
	}
	return processorhelper.NewTraces(ctx, set, cfg, next, p.processTraces,
		processorhelper.WithCapabilities(consumer.Capabilities{MutatesData: true}),
		processorhelper.WithStart(p.start), processorhelper.WithShutdown(p.shutdown))
}

func createLogs(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Logs) (processor.Logs, error) {
	p, err := newScrubProcessor(cfg.(*Config), set)
	if err != nil {
		return nil, err
	}
	return processorhelper.NewLogs(ctx, set, cfg, next, p.processLogs,
		processorhelper.WithCapabilities(consumer.Capabilities{MutatesData: true}),
		processorhelper.WithStart(p.start), processorhelper.WithShutdown(p.shutdown))
}

func createMetrics(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Metrics) (processor.Metrics, error) {
	p, err := newScrubProcessor(cfg.(*Config), set)
	if err != nil {
		return nil, err
	}
	return processorhelper.NewMetrics(ctx, set, cfg, next, p.processMetrics,
		processorhelper.WithCapabilities(consumer.Capabilities{MutatesData: true}),
		processorhelper.WithStart(p.start), processorhelper.WithShutdown(p.shutdown))
}
