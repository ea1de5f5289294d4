package logreduce // import "github.com/otelcol-warden/otelcol-warden/processor/logreduce"

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/cespare/xxhash/v2"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/otelcol-warden/otelcol-warden/processor/logreduce/drain"
)

// ServiceReport is one service's part of the periodic report.
type ServiceReport struct {
	Service         string           `json:"service"`
	Received        int64            `json:"received"`
	Suppressed      int64            `json:"suppressed"`
	SuppressedBytes int64            `json:"suppressed_bytes"`
	Templates       int              `json:"templates"`
	TopBySuppressed []TemplateReport `json:"top_templates"`
}

// TemplateReport is one template in the report. Shape is the template with every token that could
// carry a value replaced (see reportShape); ID is a hash of the full template, so the template can be
// looked up by its log.record.template attribute in the log store, whose access rules apply there.
type TemplateReport struct {
	ID              string `json:"id"`
	Shape           string `json:"shape"`
	Received        int64  `json:"received"`
	Suppressed      int64  `json:"suppressed"`
	SuppressedBytes int64  `json:"suppressed_bytes"`
	// c is the template, for its shape once it made the top N (shapes cost more than ids).
	c *cluster
}

// MarshalLogObject writes a service report as structured log fields.
func (s ServiceReport) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	enc.AddString("service", s.Service)
	enc.AddInt64("received", s.Received)
	enc.AddInt64("suppressed", s.Suppressed)
	enc.AddInt64("suppressed_bytes", s.SuppressedBytes)
	enc.AddInt("templates", s.Templates)
	return enc.AddArray("top_templates", zapcore.ArrayMarshalerFunc(func(a zapcore.ArrayEncoder) error {
		for _, t := range s.TopBySuppressed {
			if err := a.AppendObject(zapcore.ObjectMarshalerFunc(func(o zapcore.ObjectEncoder) error {
				o.AddString("id", t.ID)
				o.AddString("shape", t.Shape)
				o.AddInt64("received", t.Received)
				o.AddInt64("suppressed", t.Suppressed)
				o.AddInt64("suppressed_bytes", t.SuppressedBytes)
				return nil
			})); err != nil {
				return err
			}
		}
		return nil
	}))
}

// templateCounts are one template's counts over some period.
type templateCounts struct{ received, suppressed, bytes int64 }

// buildReport collects the counts since the last report and resets them; r.mu is held.
func (r *reducer) buildReport() []ServiceReport {
	return r.topTemplates(func(st *templateState) templateCounts {
		c := templateCounts{st.reportReceived, st.reportSuppressed, st.reportBytes}
		st.reportReceived, st.reportSuppressed, st.reportBytes = 0, 0, 0
		return c
	})
}

// topTemplates groups the templates' counts (taken by counts) by service and keeps the top_n
// services and, per service, the top_n templates by suppressed bytes; r.mu is held.
func (r *reducer) topTemplates(counts func(*templateState) templateCounts) []ServiceReport {
	byService := map[string]*ServiceReport{}
	r.templates.all(func(c *cluster) {
		st := &c.State
		sr, ok := byService[st.group.service]
		if !ok {
			sr = &ServiceReport{Service: st.group.service}
			byService[st.group.service] = sr
		}
		n := counts(st)
		sr.Templates++
		sr.Received += n.received
		sr.Suppressed += n.suppressed
		sr.SuppressedBytes += n.bytes
		if n.suppressed > 0 {
			sr.TopBySuppressed = append(sr.TopBySuppressed, TemplateReport{
				ID: templateID(c.Template()), c: c, Received: n.received, Suppressed: n.suppressed, SuppressedBytes: n.bytes,
			})
		}
	})
	out := make([]ServiceReport, 0, len(byService))
	for _, sr := range byService {
		slices.SortFunc(sr.TopBySuppressed, func(a, b TemplateReport) int {
			return cmp.Or(cmp.Compare(b.SuppressedBytes, a.SuppressedBytes), strings.Compare(a.ID, b.ID))
		})
		if len(sr.TopBySuppressed) > r.cfg.Report.TopN {
			sr.TopBySuppressed = sr.TopBySuppressed[:r.cfg.Report.TopN]
		}
		for i := range sr.TopBySuppressed {
			t := &sr.TopBySuppressed[i]
			t.Shape, t.c = r.shape(t.c), nil
		}
		out = append(out, *sr)
	}
	slices.SortFunc(out, func(a, b ServiceReport) int {
		return cmp.Or(cmp.Compare(b.SuppressedBytes, a.SuppressedBytes), strings.Compare(a.Service, b.Service))
	})
	if len(out) > r.cfg.Report.TopN {
		out = out[:r.cfg.Report.TopN]
	}
	return out
}

func (r *reducer) writeReport() {
	r.mu.Lock()
	rep := r.buildReport()
	r.mu.Unlock()
	fields := make([]zap.Field, 0, len(rep))
	var received, suppressed, bytes int64
	for _, s := range rep {
		received += s.Received
		suppressed += s.Suppressed
		bytes += s.SuppressedBytes
	}
	fields = append(fields, zap.Int64("received", received), zap.Int64("suppressed", suppressed),
		zap.Int64("suppressed_bytes", bytes), zap.Objects("services", rep))
	r.logger.Info("log_reduce report: top templates by suppressed bytes per service", fields...)
}

func (r *reducer) shape(c *cluster) string {
	if r.cfg.Report.Shapes == "none" {
		return ""
	}
	return reportShape(c.Tokens())
}

func templateID(tpl string) string { return fmt.Sprintf("%016x", xxhash.Sum64String(tpl))[:8] }

// reportShape writes a template for the collector's own log without anything that could be a
// value: the masker already replaced numbers, ids, addresses, e-mails and pseudonyms, but a value
// repeated in every record of a template (a user or host name that never changed) stays in the
// template as a constant. So the report keeps only tokens made of lower-case letters and
// punctuation (the words of a program's messages), the first token when it is a capitalised word,
// and the structure of masked tokens; every other token becomes "<?>". Names, upper-case or
// CamelCase identifiers and anything with a digit or '@' never reach the log.
func reportShape(tokens []string) string {
	var b strings.Builder
	for i, t := range tokens {
		if i > 0 {
			b.WriteByte(' ')
		}
		if reportSafe(t, i == 0) {
			b.WriteString(t)
		} else {
			b.WriteString("<?>")
		}
	}
	return b.String()
}

func reportSafe(t string, first bool) bool {
	if len(t) > 40 {
		return false
	}
	rest := strings.ReplaceAll(t, drain.Wildcard, "")
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		switch {
		case c >= 'a' && c <= 'z':
		case c >= 'A' && c <= 'Z':
			if !first || i > 0 {
				return false
			}
		case strings.IndexByte("_-.,:;=/()[]'\"!?", c) >= 0:
		default:
			return false
		}
	}
	return true
}
