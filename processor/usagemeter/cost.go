// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package usagemeter // import "github.com/otelcol-warden/otelcol-warden/processor/usagemeter"

// secondsPerMonth is a 30-day month, the unit vendors price monthly usage in.
const secondsPerMonth = 30 * 24 * 3600

// priced reports whether a signal has a price.
func (p *PricesConfig) priced(s signal) bool {
	switch s {
	case signalLogs:
		return p.LogsPerGB > 0
	case signalTraces:
		return p.SpansPerMillion > 0
	case signalMetrics:
		return p.SeriesPerMonth > 0
	}
	return false
}

// monthlyCost extrapolates a team's current rate (logs: bytes, traces: spans, measured over the
// last rate sample) or its active series (metrics) to a month at the configured prices.
func (m *meter) monthlyCost(t *team, s signal) float64 {
	p := &m.cfg.Prices
	switch s {
	case signalLogs:
		r := &t.rates[s]
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.bytesPS * secondsPerMonth / 1e9 * p.LogsPerGB
	case signalTraces:
		r := &t.rates[s]
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.recordsPerSec * secondsPerMonth / 1e6 * p.SpansPerMillion
	case signalMetrics:
		return float64(t.series.estimate()) * p.SeriesPerMonth
	}
	return 0
}
