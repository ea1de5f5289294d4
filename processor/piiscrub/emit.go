package piiscrub // import "github.com/otelcol-warden/otelcol-warden/processor/piiscrub"

// Emitting a finding: the configured action, resolved for where the finding is (metrics, span names,
// mask_only), becomes a pseudonym (pseudonym.go), a mask (mask.go) or a placeholder, and is counted.

// resolve turns a configured action into the one applied here: every finding in a metric attribute takes
// metrics.action (a pseudonym would keep the cardinality); findings in span names become placeholders unless
// span_name is `detector`; without a key (mask_only) hash becomes mask.
func (st *state) resolve(a Action) Action {
	if st.signal == sigMetrics {
		a = st.e.metricsAction
	} else if st.loc == locSpanName && st.e.spanNameRedact {
		a = ActionRedact
	}
	if a == ActionHash && st.e.keys == nil {
		a = ActionMask
	}
	return a
}

// emit appends the replacement of a built-in detector's finding.
func (st *state) emit(dst []byte, ent entity, raw string) []byte {
	return st.emitAction(dst, ent, st.e.actions[ent], raw)
}

// emitAction appends the replacement of raw (a finding of type ent) under configured action a.
func (st *state) emitAction(dst []byte, ent entity, a Action, raw string) []byte {
	a = st.resolve(a)
	st.recChanged = true
	switch a {
	case ActionDelete:
		st.deleteAttr = true
		st.count(ent, ActionDelete)
		return st.placeholder(dst, ent)
	case ActionHash:
		dk := st.dayKey()
		if dk == nil {
			st.problem(reasonMissingKey, false)
			st.count(ent, ActionRedact)
			return st.placeholder(dst, ent)
		}
		st.count(ent, ActionHash)
		st.norm = st.normalize(st.norm[:0], ent, raw)
		return st.token(dst, dk, st.e.entityNames[ent], st.norm)
	case ActionMask:
		st.count(ent, ActionMask)
		return st.mask(dst, ent, raw)
	default:
		st.count(ent, ActionRedact)
		return st.placeholder(dst, ent)
	}
}

func (st *state) placeholder(dst []byte, ent entity) []byte {
	if ent == entURLSecret {
		return append(dst, "REDACTED"...)
	}
	dst = append(dst, '{')
	dst = append(dst, st.e.entityNames[ent]...)
	return append(dst, '}')
}
