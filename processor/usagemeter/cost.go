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
		_, bytesPS := m.currentRates(t, s)
		return bytesPS * secondsPerMonth / 1e9 * p.LogsPerGB
	case signalTraces:
		recordsPS, _ := m.currentRates(t, s)
		return recordsPS * secondsPerMonth / 1e6 * p.SpansPerMillion
	case signalMetrics:
		return float64(t.series.estimate()) * p.SeriesPerMonth
	}
	return 0
}

// currentRates returns the last sampled rates, or, before the first full sample, the averages since
// the meter was created (so a short-lived collector still gets an estimate).
func (m *meter) currentRates(t *team, s signal) (recordsPS, bytesPS float64) {
	r := &t.rates[s]
	r.mu.Lock()
	sampled, recordsPS, bytesPS := r.sampled, r.recordsPerSec, r.bytesPS
	r.mu.Unlock()
	if sampled {
		return recordsPS, bytesPS
	}
	elapsed := m.now().Sub(m.born).Seconds()
	if elapsed < 1 {
		elapsed = 1
	}
	return float64(t.usage[s].records.Load()) / elapsed, float64(t.usage[s].bytes.Load()) / elapsed
}
