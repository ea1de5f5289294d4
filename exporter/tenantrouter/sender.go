// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tenantrouter // import "github.com/otelcol-warden/otelcol-warden/exporter/tenantrouter"

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/otelcol-warden/otelcol-warden/exporter/tenantrouter/internal/metadata"
)

const (
	protobufContentType      = "application/x-protobuf"
	maxHTTPResponseReadBytes = 64 * 1024
)

// otlpSender posts marshalled OTLP requests for one signal with the tenant header, and classifies
// responses as otlp_http does (OTLP/HTTP spec): 429, 502, 503 and 504 are retryable, honouring
// Retry-After; other non-2xx answers are permanent; transport errors are retryable.
type otlpSender struct {
	client    *http.Client
	url       string
	header    string
	userAgent string
	telemetry *metadata.TelemetryBuilder
}

func (s *otlpSender) send(ctx context.Context, l laneIdentity, body []byte, records int) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		s.count(ctx, l, statusTransportError, records, false)
		return consumererror.NewPermanent(fmt.Errorf("tenant %q: building request: %w", l.tenant, err))
	}
	req.Header.Set("Content-Type", protobufContentType)
	req.Header.Set("User-Agent", s.userAgent)
	req.Header.Set(s.header, l.tenant)

	resp, err := s.client.Do(req)
	if err != nil {
		s.count(ctx, l, statusTransportError, records, true)
		return fmt.Errorf("tenant %q: request to %s failed: %w", l.tenant, s.url, err)
	}
	defer func() {
		_, _ = io.CopyN(io.Discard, resp.Body, maxHTTPResponseReadBytes)
		_ = resp.Body.Close()
	}()

	class := statusClassOf(resp.StatusCode)
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		s.count(ctx, l, class, records, false)
		return nil
	}
	respErr := fmt.Errorf("tenant %q: request to %s answered HTTP %d", l.tenant, s.url, resp.StatusCode)
	if !retryableStatus(resp.StatusCode) {
		s.count(ctx, l, class, records, false)
		return consumererror.NewPermanent(respErr)
	}
	s.count(ctx, l, class, records, true)
	if delay, ok := retryAfter(resp); ok {
		return exporterhelper.NewThrottleRetry(respErr, delay)
	}
	return respErr
}

type statusClass string

const statusTransportError statusClass = "transport_error"

func statusClassOf(code int) statusClass {
	switch {
	case code >= 200 && code <= 299:
		return "2xx"
	case code >= 300 && code <= 399:
		return "3xx"
	case code >= 400 && code <= 499:
		return "4xx"
	case code >= 500 && code <= 599:
		return "5xx"
	default:
		return statusTransportError
	}
}

// count records one request's outcome: the request by status class, and its records as sent,
// retried (handed back to the lane's retry) or failed (dropped as permanent).
func (s *otlpSender) count(ctx context.Context, l laneIdentity, class statusClass, records int, retryable bool) {
	s.telemetry.ExporterTenantRouterRequests.Add(ctx, 1, metric.WithAttributes(
		attribute.String("tenant", l.tenant), attribute.String("status_class", string(class))))
	n := int64(records)
	switch {
	case class == "2xx":
		s.telemetry.ExporterTenantRouterRecordsSent.Add(ctx, n, l.attrs)
	case retryable:
		s.telemetry.ExporterTenantRouterRecordsRetried.Add(ctx, n, l.attrs)
	default:
		s.telemetry.ExporterTenantRouterRecordsFailed.Add(ctx, n, l.attrs)
	}
}

func retryableStatus(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// retryAfter reads Retry-After on throttling answers (delay-seconds or HTTP-date, RFC 7231 7.1.3).
func retryAfter(resp *http.Response) (time.Duration, bool) {
	if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable {
		return 0, false
	}
	value := resp.Header.Get("Retry-After")
	if value == "" {
		return 0, false
	}
	if seconds, err := strconv.Atoi(value); err == nil && seconds >= 0 {
		return time.Duration(seconds) * time.Second, true
	}
	if date, err := time.Parse(time.RFC1123, value); err == nil {
		return time.Until(date), true
	}
	return 0, false
}

// laneIdentity is what the sender needs to know about a lane: its tenant and telemetry attributes.
type laneIdentity struct {
	tenant string
	attrs  metric.MeasurementOption
}
