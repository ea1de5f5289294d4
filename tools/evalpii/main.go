// Command evalpii measures pii_scrub's detection quality: precision, recall, F2 and leak rate per entity type
// and per location, and collateral damage on machine identifiers. It runs the real processor (built by its
// factory, every detector set to `redact`) over a labelled corpus it generates from a seed, and optionally over
// presidio-research's JSON corpora (pattern entity types only), read in place:
//
//	go run ./tools/evalpii [-seed 1] [-n 400] [-presidio ../shared/datasets/presidio-research]
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/otelcol-warden/otelcol-warden/processor/piiscrub"
)

func main() {
	seed := flag.Uint64("seed", 1, "corpus seed")
	n := flag.Int("n", 400, "samples per location")
	presidio := flag.String("presidio", "", "directory with presidio-research's synth_dataset_v2.json / generated_large.json (read in place)")
	flag.Parse()
	ok, err := run(os.Stdout, *seed, *n, *presidio)
	if err != nil {
		fmt.Fprintln(os.Stderr, "evalpii:", err)
		os.Exit(2)
	}
	if !ok {
		os.Exit(1)
	}
}

// targets on the project corpus (issue 3).
var targetTypes = []string{"email", "card", "ssn", "ip", "iban", "jwt", "phone"}

const (
	targetPR         = 0.99
	targetCollateral = 0.001
)

func run(w io.Writer, seed uint64, n int, presidioDir string) (bool, error) {
	proc, err := newScrubber()
	if err != nil {
		return false, err
	}
	corpus := generate(seed, n)
	res, err := proc.evaluate(corpus)
	if err != nil {
		return false, err
	}
	fmt.Fprintf(w, "pii_scrub evaluation, project corpus (seed %d, %d samples, %d labelled items, %d hard negatives)\n\n",
		seed, len(corpus), res.goldTotal(), res.negTotal())
	res.print(w)
	ok := res.checkTargets(w)
	if presidioDir != "" {
		for _, f := range []string{"synth_dataset_v2.json", "generated_large.json"} {
			path := filepath.Join(presidioDir, f)
			samples, ner, err := loadPresidio(path)
			if err != nil {
				return false, err
			}
			pres, err := proc.evaluate(samples)
			if err != nil {
				return false, err
			}
			fmt.Fprintf(w, "\npresidio-research %s (%d texts, each as a log body and as a span attribute; pattern types only; %d NER spans ignored)\n\n", f, len(samples)/2, ner)
			pres.print(w)
		}
	}
	return ok, nil
}

// scrubber runs samples through pii_scrub's traces, logs and metrics processors.
type scrubber struct {
	traces  processor.Traces
	logs    processor.Logs
	metrics processor.Metrics
	tsink   *consumertest.TracesSink
	lsink   *consumertest.LogsSink
	msink   *consumertest.MetricsSink
}

func newScrubber() (*scrubber, error) {
	dir, err := os.MkdirTemp("", "evalpii")
	if err != nil {
		return nil, err
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	keyFile := filepath.Join(dir, "key")
	if err := os.WriteFile(keyFile, []byte(hex.EncodeToString(key)), 0o600); err != nil {
		return nil, err
	}
	f := piiscrub.NewFactory()
	cfg := f.CreateDefaultConfig().(*piiscrub.Config)
	cfg.Key.File = keyFile
	cfg.Key.ReloadInterval = 0
	cfg.Marker.Attribute = ""
	cfg.FailClosed = false
	d := &cfg.Detectors
	for _, dc := range []*piiscrub.DetectorConfig{&d.Email, &d.Card, &d.SSN, &d.IP.DetectorConfig, &d.IBAN, &d.Phone.DetectorConfig, &d.JWT, &d.Auth, &d.URLSecret.DetectorConfig} {
		dc.Action = piiscrub.ActionRedact
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &scrubber{tsink: new(consumertest.TracesSink), lsink: new(consumertest.LogsSink), msink: new(consumertest.MetricsSink)}
	set := processortest.NewNopSettings(f.Type())
	ctx := context.Background()
	if s.traces, err = f.CreateTraces(ctx, set, cfg, s.tsink); err != nil {
		return nil, err
	}
	if s.logs, err = f.CreateLogs(ctx, set, cfg, s.lsink); err != nil {
		return nil, err
	}
	if s.metrics, err = f.CreateMetrics(ctx, set, cfg, s.msink); err != nil {
		return nil, err
	}
	return s, nil
}

// outcome is what came out for one sample: the text, or for metrics whether the attribute survived.
type outcome struct {
	text    string
	deleted bool
}

func (s *scrubber) process(samples []sample) ([]outcome, error) {
	bt := newBatches()
	refs := make([]sampleRef, len(samples))
	for i, smp := range samples {
		refs[i] = bt.place(i, smp)
	}
	res, err := s.consume(bt)
	if err != nil {
		return nil, err
	}
	out := make([]outcome, len(samples))
	for i, smp := range samples {
		out[i] = res.outcome(smp, refs[i])
	}
	return out, nil
}

// Signals a sample can be placed in.
const (
	inLogs = iota
	inTraces
	inMetrics
)

// sampleRef is where a sample was placed: the signal and its index in that signal's batch.
type sampleRef struct{ kind, idx int }

// batches is one batch per signal; the results of the scrubber have the same shape.
type batches struct {
	ld    plog.Logs
	lrs   plog.LogRecordSlice
	td    ptrace.Traces
	spans ptrace.SpanSlice
	md    pmetric.Metrics
	dps   pmetric.NumberDataPointSlice
}

func newBatches() *batches {
	bt := &batches{ld: plog.NewLogs(), td: ptrace.NewTraces(), md: pmetric.NewMetrics()}
	bt.lrs = bt.ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	bt.spans = bt.td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
	bt.dps = bt.md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty().SetEmptyGauge().DataPoints()
	return bt
}

// place puts sample i where its location says.
func (bt *batches) place(i int, smp sample) sampleRef {
	switch smp.loc {
	case "log_body", "log_body_map", "log_attr":
		lr := bt.lrs.AppendEmpty()
		lr.Attributes().PutInt("eval.index", int64(i))
		switch smp.loc {
		case "log_body":
			lr.Body().SetStr(smp.text)
		case "log_body_map":
			lr.Body().SetEmptyMap().PutEmptyMap("event").PutStr(smp.key, smp.text)
		default:
			lr.Attributes().PutStr(smp.key, smp.text)
		}
		return sampleRef{inLogs, bt.lrs.Len() - 1}
	case "datapoint_attr":
		dp := bt.dps.AppendEmpty()
		dp.Attributes().PutStr(smp.key, smp.text)
		dp.Attributes().PutStr("eval.keep", "x")
		return sampleRef{inMetrics, bt.dps.Len() - 1}
	}
	sp := bt.spans.AppendEmpty()
	sp.SetName("eval")
	switch smp.loc {
	case "span_name":
		sp.SetName(smp.text)
	case "exception_message":
		sp.Events().AppendEmpty().Attributes().PutStr("exception.message", smp.text)
	default:
		sp.Attributes().PutStr(smp.key, smp.text)
	}
	return sampleRef{inTraces, bt.spans.Len() - 1}
}

// consume runs the three batches through pii_scrub and returns what came out.
func (s *scrubber) consume(bt *batches) (*batches, error) {
	ctx := context.Background()
	s.lsink.Reset()
	s.tsink.Reset()
	s.msink.Reset()
	if err := s.logs.ConsumeLogs(ctx, bt.ld); err != nil {
		return nil, err
	}
	if err := s.traces.ConsumeTraces(ctx, bt.td); err != nil {
		return nil, err
	}
	if err := s.metrics.ConsumeMetrics(ctx, bt.md); err != nil {
		return nil, err
	}
	return &batches{
		lrs:   s.lsink.AllLogs()[0].ResourceLogs().At(0).ScopeLogs().At(0).LogRecords(),
		spans: s.tsink.AllTraces()[0].ResourceSpans().At(0).ScopeSpans().At(0).Spans(),
		dps:   s.msink.AllMetrics()[0].ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Gauge().DataPoints(),
	}, nil
}

// outcome reads a sample's text back from the scrubbed batches (deleted when its attribute is gone).
func (res *batches) outcome(smp sample, r sampleRef) outcome {
	var text string
	var present bool
	switch r.kind {
	case inLogs:
		lr := res.lrs.At(r.idx)
		switch smp.loc {
		case "log_body":
			text, present = lr.Body().Str(), true
		case "log_body_map":
			if ev, ok := lr.Body().Map().Get("event"); ok && ev.Type() == pcommon.ValueTypeMap {
				text, present = str(ev.Map(), smp.key)
			}
		default:
			text, present = str(lr.Attributes(), smp.key)
		}
	case inTraces:
		sp := res.spans.At(r.idx)
		switch smp.loc {
		case "span_name":
			text, present = sp.Name(), true
		case "exception_message":
			text, present = str(sp.Events().At(0).Attributes(), "exception.message")
		default:
			text, present = str(sp.Attributes(), smp.key)
		}
	case inMetrics:
		text, present = str(res.dps.At(r.idx).Attributes(), smp.key)
	}
	return outcome{text: text, deleted: !present}
}

// placeholders pii_scrub writes under `redact`, and the entity type each stands for.
var placeholders = []struct{ text, typ string }{
	{"REDACTED:REDACTED@", "url_secret"}, {"REDACTED@", "url_secret"}, {"REDACTED", "url_secret"},
	{"{email}", "email"}, {"{card}", "card"}, {"{ssn}", "ssn"}, {"{ip}", "ip"}, {"{iban}", "iban"}, {"{phone}", "phone"},
	{"{jwt}", "jwt"}, {"{auth}", "auth"},
}

func placeholderAt(s string) (string, string) {
	for _, p := range placeholders {
		if strings.HasPrefix(s, p.text) {
			return p.text, p.typ
		}
	}
	return "", ""
}

// align recovers the replaced regions of in from out: literal text must match; a placeholder in out stands for
// the input bytes up to where the next literal text resumes.
func align(in, out string) []span {
	var pred []span
	i, o := 0, 0
	for o < len(out) {
		if ph, typ := placeholderAt(out[o:]); ph != "" && !strings.HasPrefix(in[i:], ph) {
			o += len(ph)
			// The anchor is the literal text after the placeholder, up to the next placeholder (at most 16 bytes).
			end := o
			for end < len(out) && end-o < 16 {
				if p, _ := placeholderAt(out[end:]); p != "" {
					break
				}
				end++
			}
			anchor := out[o:end]
			j := len(in)
			if anchor != "" && i+1 <= len(in) {
				if k := strings.Index(in[i+1:], anchor); k >= 0 {
					j = i + 1 + k
				}
			}
			pred = append(pred, span{typ, i, j})
			i = j
			continue
		}
		if i < len(in) && in[i] == out[o] {
			i++
			o++
			continue
		}
		// Out of step (a shape we do not know): skip one output byte.
		o++
	}
	return pred
}

// counts per entity type or location.
type counts struct {
	gold, tp, fp, fn, leaked int
}

func (c counts) precision() float64 {
	if c.tp+c.fp == 0 {
		return 1
	}
	return float64(c.tp) / float64(c.tp+c.fp)
}

func (c counts) recall() float64 {
	if c.gold == 0 {
		return 1
	}
	return float64(c.tp) / float64(c.gold)
}

func (c counts) f2() float64 {
	p, r := c.precision(), c.recall()
	if p+r == 0 {
		return 0
	}
	return 5 * p * r / (4*p + r)
}

func (c counts) leakRate() float64 {
	if c.gold == 0 {
		return 0
	}
	return float64(c.leaked) / float64(c.gold)
}

type results struct {
	byType     map[string]*counts
	byLoc      map[string]*counts
	negs       map[string][2]int // type -> {total, damaged}
	negsByLoc  map[string][2]int
	fpExamples []string
	fnExamples []string
}

func (r *results) goldTotal() int {
	n := 0
	for _, c := range r.byType {
		n += c.gold
	}
	return n
}

func (r *results) negTotal() int {
	n := 0
	for _, v := range r.negs {
		n += v[0]
	}
	return n
}

func get(m map[string]*counts, k string) *counts {
	c, ok := m[k]
	if !ok {
		c = &counts{}
		m[k] = c
	}
	return c
}

func overlaps(a, b span) bool { return a.start < b.end && b.start < a.end }

func (s *scrubber) evaluate(samples []sample) (*results, error) {
	outs, err := s.process(samples)
	if err != nil {
		return nil, err
	}
	r := &results{byType: map[string]*counts{}, byLoc: map[string]*counts{}, negs: map[string][2]int{}, negsByLoc: map[string][2]int{}}
	for i, smp := range samples {
		o := outs[i]
		pred := predictions(smp, o)
		matched := r.scoreGold(smp, o, pred)
		r.scoreFalsePositives(smp, pred, matched)
		r.scoreNegatives(smp, o, pred)
	}
	return r, nil
}

// predictions are the spans of the sample that pii_scrub replaced (or, for a deleted metric attribute, all of it).
func predictions(smp sample, o outcome) []span {
	var pred []span
	if smp.loc == "datapoint_attr" {
		// Metric attributes are deleted, not rewritten: a deleted attribute is a detection of its whole value.
		if o.deleted {
			typ := "?"
			if len(smp.gold) > 0 {
				typ = smp.gold[0].typ
			}
			pred = []span{{typ, 0, len(smp.text)}}
		}
	} else if o.text != smp.text {
		pred = align(smp.text, o.text)
	}
	return pred
}

// scoreGold counts each labelled item as found or missed (and leaked when its text survived); it returns which
// predictions matched a label.
func (r *results) scoreGold(smp sample, o outcome, pred []span) []bool {
	matched := make([]bool, len(pred))
	for _, g := range smp.gold {
		ct, cl := get(r.byType, g.typ), get(r.byLoc, smp.loc)
		ct.gold++
		cl.gold++
		hit := false
		for k, p := range pred {
			if p.typ == g.typ && overlaps(p, g) {
				hit = true
				matched[k] = true
			}
		}
		if hit {
			ct.tp++
			cl.tp++
		} else {
			ct.fn++
			cl.fn++
			if len(r.fnExamples) < 12 {
				r.fnExamples = append(r.fnExamples, fmt.Sprintf("%s %s: %q in %q -> %q", smp.loc, g.typ, smp.text[g.start:g.end], smp.text, o.text))
			}
		}
		if !o.deleted && strings.Contains(o.text, smp.text[g.start:g.end]) {
			ct.leaked++
			cl.leaked++
		}
	}
	return matched
}

// scoreFalsePositives counts the predictions that match no label.
func (r *results) scoreFalsePositives(smp sample, pred []span, matched []bool) {
	for k, p := range pred {
		if matched[k] {
			continue
		}
		// A prediction overlapping a gold span of the same type was counted; one overlapping the same gold twice
		// (a split) is not a false positive either.
		dup := false
		for _, g := range smp.gold {
			if g.typ == p.typ && overlaps(p, g) {
				dup = true
			}
		}
		if dup {
			continue
		}
		get(r.byType, p.typ).fp++
		get(r.byLoc, smp.loc).fp++
		if len(r.fpExamples) < 12 {
			r.fpExamples = append(r.fpExamples, fmt.Sprintf("%s %s: %q in %q", smp.loc, p.typ, smp.text[p.start:min(p.end, len(smp.text))], smp.text))
		}
	}
}

// scoreNegatives counts the machine identifiers of the sample that pii_scrub changed (collateral damage).
func (r *results) scoreNegatives(smp sample, o outcome, pred []span) {
	for _, ng := range smp.negs {
		v := r.negs[ng.typ]
		vl := r.negsByLoc[smp.loc]
		v[0]++
		vl[0]++
		damaged := o.deleted || !strings.Contains(o.text, smp.text[ng.start:ng.end])
		if !damaged {
			for _, p := range pred {
				if overlaps(p, ng) {
					damaged = true
				}
			}
		}
		if damaged {
			v[1]++
			vl[1]++
			if len(r.fpExamples) < 12 {
				r.fpExamples = append(r.fpExamples, fmt.Sprintf("collateral %s %s: %q -> %q", smp.loc, ng.typ, smp.text, o.text))
			}
		}
		r.negs[ng.typ] = v
		r.negsByLoc[smp.loc] = vl
	}
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func (r *results) print(w io.Writer) {
	table := func(title string, m map[string]*counts) {
		fmt.Fprintf(w, "%-18s %6s %6s %5s %5s %9s %7s %7s %9s\n", title, "gold", "tp", "fp", "fn", "precision", "recall", "F2", "leak rate")
		for _, k := range sortedKeys(m) {
			c := m[k]
			fmt.Fprintf(w, "%-18s %6d %6d %5d %5d %9.4f %7.4f %7.4f %9.4f\n", k, c.gold, c.tp, c.fp, c.fn, c.precision(), c.recall(), c.f2(), c.leakRate())
		}
		fmt.Fprintln(w)
	}
	table("entity type", r.byType)
	table("location", r.byLoc)
	if len(r.negs) > 0 {
		fmt.Fprintf(w, "%-18s %6s %8s %10s\n", "hard negative", "total", "damaged", "collateral")
		tot, dam := 0, 0
		for _, k := range sortedKeys(r.negs) {
			v := r.negs[k]
			tot += v[0]
			dam += v[1]
			fmt.Fprintf(w, "%-18s %6d %8d %10.4f\n", k, v[0], v[1], float64(v[1])/float64(max(v[0], 1)))
		}
		fmt.Fprintf(w, "%-18s %6d %8d %10.4f\n\n", "all", tot, dam, float64(dam)/float64(max(tot, 1)))
	}
	if len(r.fnExamples) > 0 {
		fmt.Fprintln(w, "missed (first few):")
		for _, e := range r.fnExamples {
			fmt.Fprintln(w, "  "+e)
		}
	}
	if len(r.fpExamples) > 0 {
		fmt.Fprintln(w, "false positives and collateral (first few):")
		for _, e := range r.fpExamples {
			fmt.Fprintln(w, "  "+e)
		}
	}
}

// checkTargets prints the targets of issue 3 and whether they are met.
func (r *results) checkTargets(w io.Writer) bool {
	ok := true
	fmt.Fprintln(w, "\ntargets: precision and recall >= 0.99 per type, collateral <= 0.1%")
	for _, t := range targetTypes {
		c := get(r.byType, t)
		pass := c.precision() >= targetPR && c.recall() >= targetPR
		ok = ok && pass
		fmt.Fprintf(w, "  %-6s precision %.4f recall %.4f %s\n", t, c.precision(), c.recall(), verdict(pass))
	}
	tot, dam := 0, 0
	for _, v := range r.negs {
		tot += v[0]
		dam += v[1]
	}
	coll := float64(dam) / float64(max(tot, 1))
	pass := coll <= targetCollateral
	ok = ok && pass
	fmt.Fprintf(w, "  collateral %.4f%% (%d of %d) %s\n", 100*coll, dam, tot, verdict(pass))
	return ok
}

func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

func str(m pcommon.Map, k string) (string, bool) {
	v, ok := m.Get(k)
	if !ok {
		return "", false
	}
	return v.AsString(), true
}
