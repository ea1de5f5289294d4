package logreduce // import "github.com/otelcol-warden/otelcol-warden/processor/logreduce"

import (
	"github.com/otelcol-warden/otelcol-warden/processor/logreduce/drain"
)

// cluster is one template of one group key with log_reduce's state for it.
type cluster = drain.Cluster[templateState]

// templateState is what log_reduce keeps per template (see README "Limits" for its size).
type templateState struct {
	group *group
	// epoch is the window the kept count belongs to; a template seen first in a later window
	// starts again from zero without any walk over all templates at the window's end.
	epoch uint64
	kept  int
	// pending are the summaries not yet emitted, one per origin and partition values.
	pending []*pendingSummary
	// dirty: the template is in the reducer's list of templates with pending summaries.
	dirty bool
	// Since the last report: for the top-N list.
	reportReceived   int64
	reportSuppressed int64
	reportBytes      int64
	// Over the template's lifetime: for the warden_status snapshot (status.go).
	lifeReceived   int64
	lifeSuppressed int64
	lifeBytes      int64
	// prev and next link the least-recently-seen list over all group keys.
	prev, next *cluster
}

// group is the template tree of one group key.
type group struct {
	key     string
	service string // the telemetry service attribute of the group's first record
	miner   *drain.Miner[templateState]
}

// templateSet holds every group's tree and the least-recently-seen order over all of them, so
// that limits.max_templates evicts the template unseen for longest wherever it is.
type templateSet struct {
	groups     map[string]*group
	head, tail *cluster
	total      int
	maxTotal   int
	perGroup   int
	drainCfg   DrainConfig
	onEvict    func(c *cluster, limit string)
}

func newTemplateSet(cfg *Config, onEvict func(*cluster, string)) *templateSet {
	return &templateSet{
		groups:   map[string]*group{},
		maxTotal: cfg.Limits.MaxTemplates,
		perGroup: cfg.Limits.MaxTemplatesPerGroup,
		drainCfg: cfg.Drain,
		onEvict:  onEvict,
	}
}

// group returns the tree of key, creating it.
func (s *templateSet) group(key, service string) *group {
	if g, ok := s.groups[key]; ok {
		return g
	}
	g := &group{key: key, service: service, miner: drain.New[templateState](s.drainCfg.miner(s.perGroup))}
	g.miner.OnEvict = func(c *cluster) { s.forget(c, "per_group") }
	s.groups[key] = g
	return g
}

// mine adds tokens to g's tree and returns their template.
func (s *templateSet) mine(g *group, tokens []string) *cluster {
	c, res := g.miner.Add(tokens)
	if res == drain.Created {
		c.State.group = g
		s.total++
		s.pushFront(c)
		for s.total > s.maxTotal && s.tail != nil && s.tail != c {
			victim := s.tail
			s.onEvict(victim, "total")
			vg := victim.State.group
			vg.miner.Remove(victim)
			s.unlinkForgotten(victim)
			if vg.miner.Len() == 0 {
				// The group's last template: the group goes too, so groups stay bounded by templates.
				delete(s.groups, vg.key)
			}
		}
	} else {
		s.touch(c)
	}
	return c
}

// forget is the per-group eviction path: it runs while a new template of the same group is being
// added, so the group never empties here; the miner removes the template itself afterwards.
func (s *templateSet) forget(c *cluster, limit string) {
	s.onEvict(c, limit)
	s.unlinkForgotten(c)
}

func (s *templateSet) unlinkForgotten(c *cluster) {
	s.unlink(c)
	s.total--
}

// all calls fn for every template (most recently seen first).
func (s *templateSet) all(fn func(*cluster)) {
	for c := s.head; c != nil; {
		next := c.State.next
		fn(c)
		c = next
	}
}

func (s *templateSet) touch(c *cluster) {
	if s.head == c {
		return
	}
	s.unlink(c)
	s.pushFront(c)
}

func (s *templateSet) pushFront(c *cluster) {
	c.State.prev, c.State.next = nil, s.head
	if s.head != nil {
		s.head.State.prev = c
	}
	s.head = c
	if s.tail == nil {
		s.tail = c
	}
}

func (s *templateSet) unlink(c *cluster) {
	st := &c.State
	if st.prev != nil {
		st.prev.State.next = st.next
	} else if s.head == c {
		s.head = st.next
	}
	if st.next != nil {
		st.next.State.prev = st.prev
	} else if s.tail == c {
		s.tail = st.prev
	}
	st.prev, st.next = nil, nil
}
