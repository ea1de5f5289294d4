// Package drain mines log templates online with the Drain algorithm (He et al., "Drain: An Online
// Log Parsing Approach with Fixed Depth Tree", ICWS 2017): messages are routed through a prefix tree
// of fixed depth (first by token count, then by their first tokens) to a leaf holding a few
// templates; the most similar template above a threshold absorbs the message, its differing
// positions becoming Wildcard, otherwise the message starts a new template.
//
// Written here rather than imported: no Go Drain library is served by the module proxy this project
// builds from (github.com/faceair/drain, github.com/jaeyo/go-drain3 and others answer 403), and the
// ports known upstream keep one global tree without an eviction rule, while log_reduce needs one
// tree per group key, masking under its own control, least-recently-seen eviction with a callback
// (to emit a pending summary first) and a per-template state without a second lookup.
package drain // import "github.com/otelcol-warden/otelcol-warden/processor/logreduce/drain"

import "strings"

// Config tunes the tree.
type Config struct {
	// Depth counts the levels of the tree including the token-count level and the leaf, as in the
	// paper: Depth 4 routes by token count and the first 2 tokens.
	Depth int
	// SimThreshold is the share of equal tokens a message needs to join a template.
	SimThreshold float64
	// MaxChildren bounds the children of an inner node; past it, new tokens route to the Wildcard child.
	MaxChildren int
	// MaxTemplates bounds the templates of this miner (0: unbounded); past it the least recently
	// seen template is evicted.
	MaxTemplates int
}

// DefaultConfig is the configuration log_reduce ships with (tuned on Loghub 2k, see tools/evallogreduce).
func DefaultConfig() Config {
	return Config{Depth: 4, SimThreshold: 0.7, MaxChildren: 100}
}

// Cluster is one template and the caller's state for it.
type Cluster[T any] struct {
	// ID is unique within the miner and stable while the template lives.
	ID uint64
	// text is the template; tokens are substrings of it (one allocation per template).
	text   string
	tokens []string
	leaf   *node[T]
	// prev and next link the miner's least-recently-seen list.
	prev, next *Cluster[T]
	// State belongs to the caller.
	State T
}

// Template returns the template text: the tokens joined by single spaces, Wildcard for variables.
func (c *Cluster[T]) Template() string { return c.text }

// Tokens returns the template's tokens (shared; do not modify).
func (c *Cluster[T]) Tokens() []string { return c.tokens }

type node[T any] struct {
	parent   *node[T]
	key      string
	children map[string]*node[T]
	clusters []*Cluster[T]
}

// Miner holds the tree of one group key. It is not safe for concurrent use.
type Miner[T any] struct {
	cfg    Config
	root   node[T]
	head   *Cluster[T] // most recently seen
	tail   *Cluster[T] // least recently seen
	n      int
	nextID uint64
	// OnEvict is called with a template before the miner forgets it because of MaxTemplates.
	OnEvict func(*Cluster[T])
}

// New returns an empty miner.
func New[T any](cfg Config) *Miner[T] {
	if cfg.Depth < 3 {
		cfg.Depth = 3
	}
	if cfg.MaxChildren < 2 {
		cfg.MaxChildren = 2
	}
	return &Miner[T]{cfg: cfg, root: node[T]{children: map[string]*node[T]{}}}
}

// Len returns the number of templates.
func (m *Miner[T]) Len() int { return m.n }

// Result says what Add did.
type Result int

const (
	// Matched: the message fitted a template unchanged.
	Matched Result = iota
	// Generalized: the message joined a template, which gained wildcards.
	Generalized
	// Created: the message started a new template.
	Created
)

// Add mines one masked token sequence and returns its template. tokens may be reused by the caller.
func (m *Miner[T]) Add(tokens []string) (*Cluster[T], Result) {
	leaf := m.route(tokens)
	if c := m.bestMatch(leaf, tokens); c != nil {
		m.touch(c)
		if c.merge(tokens) {
			return c, Generalized
		}
		return c, Matched
	}
	m.nextID++
	c := &Cluster[T]{ID: m.nextID, leaf: leaf}
	c.setTokens(tokens)
	leaf.clusters = append(leaf.clusters, c)
	m.n++
	m.pushFront(c)
	if m.cfg.MaxTemplates > 0 && m.n > m.cfg.MaxTemplates {
		m.Evict(m.tail)
	}
	return c, Created
}

// Oldest returns the least recently seen template, or nil.
func (m *Miner[T]) Oldest() *Cluster[T] { return m.tail }

// Evict calls OnEvict and removes c from the miner.
func (m *Miner[T]) Evict(c *Cluster[T]) {
	if m.OnEvict != nil {
		m.OnEvict(c)
	}
	m.Remove(c)
}

// Remove forgets c without calling OnEvict.
func (m *Miner[T]) Remove(c *Cluster[T]) {
	if c.leaf == nil {
		return
	}
	leaf := c.leaf
	for i, x := range leaf.clusters {
		if x == c {
			last := len(leaf.clusters) - 1
			leaf.clusters[i] = leaf.clusters[last]
			leaf.clusters[last] = nil
			leaf.clusters = leaf.clusters[:last]
			break
		}
	}
	c.leaf = nil
	m.unlink(c)
	m.n--
	// Prune the branch that no longer leads to a template, so the tree stays bounded by the templates.
	for nd := leaf; nd.parent != nil && len(nd.clusters) == 0 && len(nd.children) == 0; nd = nd.parent {
		delete(nd.parent.children, nd.key)
	}
}

// route walks (and grows) the tree to the leaf for tokens.
func (m *Miner[T]) route(tokens []string) *node[T] {
	nd := m.child(&m.root, lengthKey(len(tokens)), true)
	for depth := 0; depth < m.cfg.Depth-2 && depth < len(tokens); depth++ {
		nd = m.prefixChild(nd, tokens[depth])
	}
	return nd
}

func (m *Miner[T]) prefixChild(nd *node[T], tok string) *node[T] {
	if strings.Contains(tok, Wildcard) {
		return m.child(nd, Wildcard, true)
	}
	if c, ok := nd.children[tok]; ok {
		return c
	}
	if len(nd.children)+1 < m.cfg.MaxChildren {
		return m.child(nd, tok, true)
	}
	return m.child(nd, Wildcard, true)
}

func (m *Miner[T]) child(nd *node[T], key string, create bool) *node[T] {
	if c, ok := nd.children[key]; ok {
		return c
	}
	if !create {
		return nil
	}
	c := &node[T]{parent: nd, key: strings.Clone(key), children: map[string]*node[T]{}}
	nd.children[c.key] = c
	return c
}

// bestMatch returns the leaf's template most similar to tokens, if similar enough. Ties go to the
// template with more wildcards' complement (fewer variables), as in Drain3.
func (m *Miner[T]) bestMatch(leaf *node[T], tokens []string) *Cluster[T] {
	var best *Cluster[T]
	bestSim, bestParams := -1.0, -1
	for _, c := range leaf.clusters {
		sim, params := similarity(c.tokens, tokens)
		if sim > bestSim || (sim == bestSim && params > bestParams) {
			best, bestSim, bestParams = c, sim, params
		}
	}
	if best == nil || bestSim < m.cfg.SimThreshold {
		return nil
	}
	return best
}

// similarity is Drain's simSeq: the share of positions where the template equals the message,
// wildcards not counting as equal; params counts the template's wildcards.
func similarity(tpl, tokens []string) (float64, int) {
	if len(tpl) != len(tokens) {
		return 0, 0
	}
	if len(tpl) == 0 {
		return 1, 0
	}
	same, params := 0, 0
	for i, t := range tpl {
		if strings.Contains(t, Wildcard) {
			params++
		}
		switch {
		case t == tokens[i]:
			same++
		case structural(t, tokens[i]):
			return 0, 0
		case variableMatch(t, tokens[i]):
			same++
		}
	}
	return float64(same) / float64(len(tpl)), params
}

// structural reports two different tokens that must not be merged into a wildcard, because they
// differ in structure rather than in a value: two key=value tokens with different keys
// ("(uid=<*>)" and "LOGIN(uid=<*>)"), or with the same key of which one has an empty value
// ("rhost=" and "rhost=<*>"). Found on Loghub,
// where these are the cases a plain similarity threshold gets wrong in both directions.
func structural(a, b string) bool {
	if isConstantName(a) && isConstantName(b) {
		return true
	}
	ka, kb := strings.IndexByte(a, '='), strings.IndexByte(b, '=')
	if ka <= 0 || kb <= 0 {
		return false
	}
	if a[:ka] != b[:kb] {
		return true
	}
	return (len(a) == ka+1) != (len(b) == kb+1)
}

// variableMatch reports a message token that fits a variable of the template: a masked variable
// where the template has Wildcard (Drain counts neither as equal, which lets a template that gained
// wildcards reject the very messages it was made of), or any non-empty value where the template
// has key=<*>.
func variableMatch(tpl, tok string) bool {
	if tpl == Wildcard {
		return strings.Contains(tok, Wildcard)
	}
	k := len(tpl) - len(Wildcard) - 1
	return k > 0 && tpl[k] == '=' && tpl[k+1:] == Wildcard && len(tok) > k+1 && tok[:k+1] == tpl[:k+1]
}

// isConstantName reports a word of letters (trailing punctuation aside) with a capital after its
// first letter: CamelCase or upper-case names ("WindowsUpdateAgent", "SPP", "GET") are names of
// things in the program, not values, so two different ones make two templates. Capitalised words
// ("Jane") and lower-case words ("root") can still be variables.
func isConstantName(s string) bool {
	for len(s) > 0 && isWrapByte(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	if len(s) < 2 {
		return false
	}
	inner := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z':
			if i > 0 {
				inner = true
			}
		case c >= 'a' && c <= 'z':
		default:
			return false
		}
	}
	return inner
}

func isWrapByte(c byte) bool {
	return c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == ')' || c == ']'
}

// mergeToken is the template token for two different tokens: key=<*> for two values of one key,
// Wildcard otherwise.
func mergeToken(a, b string) string {
	if k := strings.IndexByte(a, '='); k > 0 && len(b) > k && b[:k+1] == a[:k+1] {
		return a[:k+1] + Wildcard
	}
	return Wildcard
}

// merge turns the positions where tokens differ into wildcards; it reports whether anything changed.
func (c *Cluster[T]) merge(tokens []string) bool {
	changed := false
	for i, t := range c.tokens {
		if t != tokens[i] && mergeToken(t, tokens[i]) != t {
			changed = true
			break
		}
	}
	if !changed {
		return false
	}
	merged := make([]string, len(c.tokens))
	for i, t := range c.tokens {
		if t != tokens[i] {
			t = mergeToken(t, tokens[i])
		}
		merged[i] = t
	}
	c.setTokens(merged)
	return true
}

// setTokens stores a copy of tokens: one string for the text, tokens as substrings of it.
func (c *Cluster[T]) setTokens(tokens []string) {
	c.text = strings.Join(tokens, " ")
	if cap(c.tokens) < len(tokens) {
		c.tokens = make([]string, len(tokens))
	}
	c.tokens = c.tokens[:len(tokens)]
	off := 0
	for i, t := range tokens {
		c.tokens[i] = c.text[off : off+len(t)]
		if t == Wildcard {
			c.tokens[i] = Wildcard
		}
		off += len(t) + 1
	}
}

func (m *Miner[T]) touch(c *Cluster[T]) {
	if m.head == c {
		return
	}
	m.unlink(c)
	m.pushFront(c)
}

func (m *Miner[T]) pushFront(c *Cluster[T]) {
	c.prev, c.next = nil, m.head
	if m.head != nil {
		m.head.prev = c
	}
	m.head = c
	if m.tail == nil {
		m.tail = c
	}
}

func (m *Miner[T]) unlink(c *Cluster[T]) {
	if c.prev != nil {
		c.prev.next = c.next
	} else if m.head == c {
		m.head = c.next
	}
	if c.next != nil {
		c.next.prev = c.prev
	} else if m.tail == c {
		m.tail = c.prev
	}
	c.prev, c.next = nil, nil
}

var lengthKeys [129]string

func init() {
	for i := range lengthKeys {
		lengthKeys[i] = "#" + itoa(i)
	}
}

func lengthKey(n int) string {
	if n < len(lengthKeys) {
		return lengthKeys[n]
	}
	return "#" + itoa(n)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// DefaultMaxTokens is log_reduce's default token limit per message.
const DefaultMaxTokens = 128
