// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy // import "github.com/otelcol-warden/otelcol-warden/processor/tailpolicy"

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
)

// maxRules bounds the rule list (rule predicates are tracked in a 64-bit mask).
const maxRules = 32

// tailPolicy: skeleton that forwards everything while the decision engine is built.
type tailPolicy struct {
	next consumer.Traces
}

func newTailPolicy(_ processor.Settings, _ *Config, next consumer.Traces, _ clock) (*tailPolicy, error) {
	return &tailPolicy{next: next}, nil
}

func (p *tailPolicy) Start(context.Context, component.Host) error { return nil }
func (p *tailPolicy) Shutdown(context.Context) error            { return nil }
func (p *tailPolicy) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: true}
}

func (p *tailPolicy) ConsumeTraces(ctx context.Context, td ptrace.Traces) error {
	return p.next.ConsumeTraces(ctx, td)
}
