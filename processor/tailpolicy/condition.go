// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy // import "github.com/otelcol-warden/otelcol-warden/processor/tailpolicy"

import (
	"context"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/ottl"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/ottl/contexts/ottlspan"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/ottl/ottlfuncs"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// spanCondition is a compiled OTTL condition in the span context.
type spanCondition struct {
	condition *ottl.Condition[*ottlspan.TransformContext]
}

// parseCondition accepts both path styles users know: the context-qualified one
// (`span.attributes["k"]`, `resource.attributes["k"]`) and the unqualified one used
// by the tail_sampling processor's ottl_condition (`attributes["k"]`).
func parseCondition(expr string, set component.TelemetrySettings) (*spanCondition, error) {
	functions := ottlfuncs.StandardConverters[*ottlspan.TransformContext]()
	qualified, err := ottlspan.NewParser(functions, set, ottlspan.EnablePathContextNames())
	if err != nil {
		return nil, err
	}
	cond, qualifiedErr := qualified.ParseCondition(expr)
	if qualifiedErr == nil {
		return &spanCondition{condition: cond}, nil
	}
	unqualified, err := ottlspan.NewParser(functions, set)
	if err != nil {
		return nil, err
	}
	if cond, err := unqualified.ParseCondition(expr); err == nil {
		return &spanCondition{condition: cond}, nil
	}
	return nil, qualifiedErr
}

// eval reports whether the condition holds on span; an evaluation error counts as
// "does not hold" (the same as the filter processor's ignore error mode).
func (c *spanCondition) eval(rs ptrace.ResourceSpans, ss ptrace.ScopeSpans, span ptrace.Span) bool {
	tCtx := ottlspan.NewTransformContext(rs, ss, span)
	ok, err := c.condition.Eval(context.Background(), tCtx)
	tCtx.Close()
	return err == nil && ok
}
