// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package usagemeter

import (
	"context"
	"testing"

	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-warden/otelcol-warden/internal/teamid"
	"github.com/otelcol-warden/otelcol-warden/internal/tenantid"
)

// FuzzConsumeLogs sends arbitrary team values and severity texts through a budgeted logs meter:
// it never panics, every record is counted once under a valid team label, and no record at or
// above keep_severity is ever refused.
func FuzzConsumeLogs(f *testing.F) {
	for _, s := range [][2]string{{"payments", "INFO"}, {"jane@example.com", "warning"}, {"10.0.0.1", ""}, {"", "ERR"}, {"a\r\nb", "\xff"}} {
		f.Add(s[0], s[1], uint8(9))
	}
	f.Fuzz(func(t *testing.T, team, severityText string, severity uint8) {
		cfg := createDefaultConfig().(*Config)
		cfg.Budgets = map[string]TeamBudget{"payments": {Logs: &SignalBudget{BytesPerSecond: 1, BurstBytes: 1024}}}
		tm := newTestMeter(t, "fuzz", cfg, nil)
		ld := plog.NewLogs()
		for _, v := range []string{team, "payments"} {
			rl := ld.ResourceLogs().AppendEmpty()
			rl.Resource().Attributes().PutStr("k8s.namespace.name", v)
			lr := rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
			lr.SetSeverityText(severityText)
			lr.SetSeverityNumber(plog.SeverityNumber(severity % 25))
			lr.Body().SetStr(team)
		}
		in := plog.NewLogs()
		ld.CopyTo(in)
		if err := tm.logs.ConsumeLogs(context.Background(), ld); err != nil {
			t.Fatal(err)
		}
		counted := int64(0)
		for name, n := range sumByTeam(t, tm.tel, "otelcol_processor_usage_meter_records", "logs") {
			if teamid.Validate(name) != tenantid.OK && name != OtherTeam {
				t.Fatalf("label value %q is not a valid team", name)
			}
			counted += n
		}
		if counted != 2 {
			t.Fatalf("counted %d records, sent 2", counted)
		}
		kept := 0
		for _, out := range tm.lSink.AllLogs() {
			kept += out.LogRecordCount()
		}
		mustKeep := 0
		for i := 0; i < in.ResourceLogs().Len(); i++ {
			lr := in.ResourceLogs().At(i).ScopeLogs().At(0).LogRecords().At(0)
			if severityOf(lr) >= plog.SeverityNumberWarn {
				mustKeep++
			}
		}
		if kept < mustKeep {
			t.Fatalf("kept %d records, %d are WARN+", kept, mustKeep)
		}
	})
}
