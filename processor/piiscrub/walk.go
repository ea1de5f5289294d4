package piiscrub // import "github.com/otelcol-warden/otelcol-warden/processor/piiscrub"

import (
	"strconv"
	"strings"
	"unsafe"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// scrubText scrubs a free-text string (span name, status message, event name, string body or attribute).
// It allocates only when something changed.
func (st *state) scrubText(s string) (string, bool) {
	if len(s) > st.e.maxValue {
		st.problem(reasonOversize, true)
		return s, false
	}
	out, changed := st.scanAppend(st.buf[:0], s, false, 0)
	res := s
	if changed {
		res = string(out)
		st.buf = out[:0]
	}
	if len(st.e.patterns) > 0 {
		var c bool
		res, c = st.applyPatterns(res)
		changed = changed || c
	}
	return res, changed
}

// scrubURLValue scrubs the value of a URL attribute (url.full, url.path, url.query ...).
func (st *state) scrubURLValue(s string, kind urlKind) (string, bool) {
	if len(s) > st.e.maxValue {
		st.problem(reasonOversize, true)
		return s, false
	}
	if len(s) < minScanLen {
		return s, false
	}
	out, changed := st.scrubURL(st.buf[:0], s, kind, 0)
	st.buf = out[:0]
	res := s
	if changed {
		res = string(out)
	}
	if len(st.e.patterns) > 0 {
		var c bool
		res, c = st.applyPatterns(res)
		changed = changed || c
	}
	return res, changed
}

// applyPatterns runs the user patterns in scope for the current key, skipping our own pseudonyms.
func (st *state) applyPatterns(s string) (string, bool) {
	changed := false
	for i := range st.e.patterns {
		p := &st.e.patterns[i]
		if p.scope != nil && (st.key == "" || p.scope.match(st.key) < 0) {
			continue
		}
		st.work.add(2 * len(s)) // literal prefilter; RE2 is linear in the input
		if len(s) == 0 || !p.cp.mayMatch(s) {
			continue
		}
		locs := p.cp.re.FindAllStringIndex(s, 1024)
		if locs == nil {
			continue
		}
		out := st.patBuf[:0]
		last := 0
		hit := false
		own := tokenCursor{s: s}
		for _, l := range locs {
			if l[0] < last || l[1] == l[0] || own.overlaps(l[0], l[1]) {
				continue
			}
			out = append(out, s[last:l[0]]...)
			out = st.emitAction(out, p.ent, p.action, s[l[0]:l[1]])
			last = l[1]
			hit = true
		}
		st.work.add(own.off)
		if !hit {
			continue
		}
		out = append(out, s[last:]...)
		s = string(out)
		st.patBuf = out[:0]
		changed = true
	}
	return s, changed
}

// tokenCursor finds our own tokens in s in order, so that the matches of a pattern (sorted, non-overlapping)
// are checked against them in one pass over s, not one pass per match.
type tokenCursor struct {
	s          string
	off        int // where the search for the next token resumes
	start, end int // the current token, valid when end > 0
	done       bool
}

// overlaps reports whether s[a:b] overlaps one of our tokens. Successive calls must not decrease a.
func (c *tokenCursor) overlaps(a, b int) bool {
	for !c.done && c.end <= a {
		x := strings.Index(c.s[c.off:], "pii:")
		if x < 0 {
			c.done, c.off = true, len(c.s)
			break
		}
		start := c.off + x
		if end, ok := pseudonymAt(c.s, start+3); ok {
			c.start, c.end, c.off = start, end, end
			continue
		}
		c.off = start + 4
	}
	return c.end > a && c.start < b
}

// scrubAttrs walks an attribute map (or a map value at any depth): key rules first, then detection on the
// value, then detection on the key itself (a map key can be an e-mail address). Deletions and renamed keys are
// applied after the walk, in one RemoveIf pass.
func (st *state) scrubAttrs(m pcommon.Map, depth int) {
	n := m.Len()
	if n == 0 {
		return
	}
	var inline [4]uint64
	marks := inline[:]
	if n > 64*len(inline) {
		marks = make([]uint64, (n+63)/64)
	}
	anyDel := false
	renamesStart := len(st.renames)
	idx := 0
	for k, v := range m.All() {
		st.work.add(len(k) + 1) // the entry, and the key rule lookup
		del, ruled := st.scrubEntry(k, v, depth)
		if !del && !ruled && len(k) >= minScanLen {
			st.setKey("")
			st.deleteAttr = false
			if nk, changed := st.scrubText(k); changed {
				if !st.deleteAttr {
					st.renames = append(st.renames, rename{idx: idx, newKey: nk})
				}
				del = true
			}
		}
		if del {
			marks[idx>>6] |= 1 << uint(idx&63)
			anyDel = true
		}
		idx++
	}
	if !anyDel {
		return
	}
	renames := st.renames[renamesStart:]
	var moved []pcommon.Value
	if len(renames) > 0 {
		moved = make([]pcommon.Value, len(renames))
		r, i := 0, 0
		for _, v := range m.All() {
			if r < len(renames) && renames[r].idx == i {
				moved[r] = pcommon.NewValueEmpty()
				v.CopyTo(moved[r])
				r++
			}
			i++
		}
	}
	i := 0
	m.RemoveIf(func(string, pcommon.Value) bool {
		d := marks[i>>6]&(1<<uint(i&63)) != 0
		i++
		return d
	})
	for r, rn := range renames {
		moved[r].CopyTo(m.PutEmpty(rn.newKey))
	}
	st.renames = st.renames[:renamesStart]
}

// scrubEntry handles one map entry. It returns whether the entry must be deleted and whether a key rule
// decided it.
func (st *state) scrubEntry(k string, v pcommon.Value, depth int) (del, ruled bool) {
	st.urlKind = noURL
	if r := st.e.rule(k); r != nil {
		switch r.action {
		case ActionKeep:
			return false, true
		case ActionDelete:
			st.count(r.ent, ActionDelete)
			st.recChanged = true
			return true, true
		case actionURL:
			st.urlKind = r.url
		default:
			return st.applyRuleToValue(r, v), true
		}
	}
	st.setKey(k)
	st.deleteAttr = false
	st.scrubValue(v, depth)
	return st.deleteAttr, false
}

// applyRuleToValue replaces the whole value under a hash/mask/redact key rule.
func (st *state) applyRuleToValue(r *compiledRule, v pcommon.Value) bool {
	var raw string
	switch v.Type() {
	case pcommon.ValueTypeEmpty:
		return false
	case pcommon.ValueTypeStr:
		raw = v.Str()
		if raw == "" {
			return false
		}
	case pcommon.ValueTypeInt:
		raw = strconv.FormatInt(v.Int(), 10)
	default:
		raw = v.AsString()
	}
	st.deleteAttr = false
	out := st.emitAction(st.buf[:0], r.ent, r.action, raw)
	if st.deleteAttr {
		return true
	}
	v.SetStr(string(out))
	st.buf = out[:0]
	return false
}

// scrubValue scrubs a value in place under the current key context.
func (st *state) scrubValue(v pcommon.Value, depth int) {
	st.work.add(1)
	switch v.Type() {
	case pcommon.ValueTypeStr:
		s := v.Str()
		if len(s) < minScanLen {
			return
		}
		var out string
		var changed bool
		if st.urlKind != noURL {
			out, changed = st.scrubURLValue(s, st.urlKind)
		} else {
			out, changed = st.scrubText(s)
		}
		if changed && !st.deleteAttr {
			v.SetStr(out)
		}
	case pcommon.ValueTypeInt:
		st.scrubInt(v)
	case pcommon.ValueTypeBytes:
		b := v.Bytes().AsRaw()
		if len(b) < minScanLen {
			return
		}
		out, changed := st.scrubText(unsafe.String(unsafe.SliceData(b), len(b)))
		if changed && !st.deleteAttr {
			v.SetEmptyBytes().FromRaw([]byte(out))
		}
	case pcommon.ValueTypeMap:
		if depth >= st.e.maxDepth {
			st.problem(reasonTooDeep, true)
			return
		}
		// Findings inside the map delete or replace entries of that map, not the parent attribute.
		key, flags, del, uk := st.key, st.keyFlags, st.deleteAttr, st.urlKind
		st.scrubAttrs(v.Map(), depth+1)
		st.key, st.keyFlags, st.deleteAttr, st.urlKind = key, flags, del, uk
	case pcommon.ValueTypeSlice:
		if depth >= st.e.maxDepth {
			st.problem(reasonTooDeep, true)
			return
		}
		key, flags, uk := st.key, st.keyFlags, st.urlKind
		sl := v.Slice()
		for i := 0; i < sl.Len(); i++ {
			st.key, st.keyFlags, st.urlKind = key, flags, uk
			st.scrubValue(sl.At(i), depth+1)
		}
	}
}

// scrubInt checks integers long enough to be card numbers (12-19 digits, either sign: a card number stored
// as -4111111111111111 is still one); a card becomes a string replacement of its digits.
func (st *state) scrubInt(v pcommon.Value) {
	n := v.Int()
	// The magnitude as uint64: -n would overflow for math.MinInt64, uint64 negation does not.
	u := uint64(n)
	if n < 0 {
		u = -u
	}
	if u < 100_000_000_000 || !st.e.enabled[entCard] {
		return
	}
	var buf [24]byte
	d := strconv.AppendUint(buf[:0], u, 10)
	ds := unsafe.String(unsafe.SliceData(d), len(d))
	if !cardValid(ds) || st.keyFlag(keyID) {
		return
	}
	out := st.emit(st.buf[:0], entCard, ds)
	st.buf = out[:0]
	if !st.deleteAttr {
		v.SetStr(string(out))
	}
}
