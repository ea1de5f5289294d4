package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"
)

// mix is what the generated telemetry contains; every field is a flag (see registerMix).
type mix struct {
	signals []string // traces, logs, metrics

	spansPerRequest  int
	logsPerRequest   int
	pointsPerRequest int

	pii       float64 // share of records carrying personal data
	errors    float64 // share of traces with an error
	slow      float64 // share of traces far slower than their route
	synthetic float64 // share of traces from a synthetic monitor
	probes    float64 // share of traces and logs that are health checks
	jsonLogs  float64 // share of log bodies that are JSON
	stackLogs float64 // share of log records with a stack trace
	mapLogs   float64 // share of log bodies that are maps (structured logging)

	cardinality int // distinct values of each high-cardinality metric label
}

func registerMix(fs *flag.FlagSet, m *mix) *string {
	signals := fs.String("signals", "traces", "comma-separated signals to send: traces, logs, metrics")
	fs.IntVar(&m.spansPerRequest, "spans-per-request", 512, "spans per export request (whole traces of 3-8 spans)")
	fs.IntVar(&m.logsPerRequest, "logs-per-request", 512, "log records per export request")
	fs.IntVar(&m.pointsPerRequest, "points-per-request", 512, "metric data points per export request")
	fs.Float64Var(&m.pii, "pii", 0.10, "share of records with personal data (e-mail, phone, card, IBAN, IP, JWT)")
	fs.Float64Var(&m.errors, "errors", 0.02, "share of traces with an error (status Error, HTTP 500, exception event)")
	fs.Float64Var(&m.slow, "slow", 0.02, "share of traces 20-50x slower than their route")
	fs.Float64Var(&m.synthetic, "synthetic", 0.02, "share of traces from synthetic monitors (Pingdom, Checkly, ... user agents)")
	fs.Float64Var(&m.probes, "probes", 0.01, "share of traces and logs that are kube-probe health checks")
	fs.Float64Var(&m.jsonLogs, "json-logs", 0.40, "share of log bodies that are JSON text")
	fs.Float64Var(&m.stackLogs, "stack-logs", 0.05, "share of log records that are errors with a stack trace")
	fs.Float64Var(&m.mapLogs, "map-logs", 0.05, "share of log bodies that are maps")
	fs.IntVar(&m.cardinality, "cardinality", 20000, "distinct values of each high-cardinality metric label (user id, raw URL path)")
	return signals
}

func (m *mix) parseSignals(s string) error {
	m.signals = nil
	for _, sig := range strings.Split(s, ",") {
		sig = strings.TrimSpace(sig)
		switch sig {
		case "traces", "logs", "metrics":
			m.signals = append(m.signals, sig)
		case "":
		default:
			return fmt.Errorf("-signals: unknown signal %q (traces, logs, metrics)", sig)
		}
	}
	if len(m.signals) == 0 {
		return errors.New("-signals: at least one of traces, logs, metrics")
	}
	return nil
}

func (m *mix) validate() error {
	for name, v := range map[string]float64{"pii": m.pii, "errors": m.errors, "slow": m.slow, "synthetic": m.synthetic,
		"probes": m.probes, "json-logs": m.jsonLogs, "stack-logs": m.stackLogs, "map-logs": m.mapLogs} {
		if v < 0 || v > 1 {
			return fmt.Errorf("-%s: %v is outside [0, 1]", name, v)
		}
	}
	if m.errors+m.slow+m.synthetic+m.probes > 1 {
		return errors.New("-errors + -slow + -synthetic + -probes exceed 1")
	}
	if m.jsonLogs+m.mapLogs > 1 {
		return errors.New("-json-logs + -map-logs exceed 1")
	}
	for name, v := range map[string]int{"spans-per-request": m.spansPerRequest, "logs-per-request": m.logsPerRequest,
		"points-per-request": m.pointsPerRequest, "cardinality": m.cardinality} {
		if v < 1 {
			return fmt.Errorf("-%s: must be at least 1, got %d", name, v)
		}
	}
	return nil
}
