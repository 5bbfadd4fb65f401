package raven

import (
	"context"
	"maps"
	"slices"
	"sync"
	"time"
)

// DefaultMaxBreadcrumbs is how many breadcrumbs a scope keeps; older ones
// are overwritten.
const DefaultMaxBreadcrumbs = 100

// scopeData is an immutable-once-shared view of a scope. A snapshot hands
// the current data to an event; the next mutation copies the part it
// changes (copy-on-write), so taking a snapshot costs one pointer.
type scopeData struct {
	tags        map[string]string
	extra       map[string]any
	contexts    map[string]map[string]any
	user        *User
	request     *Request
	fingerprint []string
	level       Level
	transaction string
	crumbs      []Breadcrumb // ring of at most max entries
	head        int          // index of the oldest crumb when the ring is full
	trace       *TraceContext
	reqSrc      RequestSource
}

// RequestSource builds the Request of an event when one is captured.
// Integrations set one per request with Scope.SetRequestSource so that
// requests that report nothing pay nothing for recording themselves.
type RequestSource interface {
	// SentryRequest is called on the capturing goroutine, at capture time.
	SentryRequest() *Request
}

// breadcrumbs returns the breadcrumbs oldest first.
func (d *scopeData) breadcrumbs() []Breadcrumb {
	if len(d.crumbs) == 0 {
		return nil
	}
	out := make([]Breadcrumb, 0, len(d.crumbs))
	out = append(out, d.crumbs[d.head:]...)
	return append(out, d.crumbs[:d.head]...)
}

// TraceContext links an event to a distributed trace.
type TraceContext struct {
	TraceID      string
	SpanID       string
	ParentSpanID string
	Sampled      *bool
}

// ownership bits: which fields of Scope.d this scope may mutate in place.
const (
	ownTags = 1 << iota
	ownExtra
	ownContexts
	ownFingerprint
	ownCrumbs
	ownStruct
)

// Scope holds the data attached to events captured with it: tags, extra,
// user, request, contexts, fingerprint, level, transaction and a ring of
// breadcrumbs. A Scope is safe for concurrent use. Fork one per request or
// task with WithScope so that data never leaks between them.
type Scope struct {
	client *Client
	mu     sync.Mutex
	d      *scopeData
	owned  uint8
	max    int
	own    scopeData // storage for d in forked scopes, saving an allocation
}

func newScope(c *Client, max int) *Scope {
	return &Scope{client: c, d: &scopeData{}, owned: 0xff, max: max}
}

// Client returns the client events captured with this scope go to.
func (s *Scope) Client() *Client { return s.client }

// snapshot returns the scope's current data; it must not be mutated.
func (s *Scope) snapshot() *scopeData {
	s.mu.Lock()
	d := s.d
	s.owned = 0
	s.mu.Unlock()
	return d
}

// scopeContext is a context carrying a scope, allocated together with it:
// forking a scope per request costs one allocation.
type scopeContext struct {
	context.Context
	scope Scope
}

// Value returns the scope for the scope key and defers to the parent for
// every other key.
func (c *scopeContext) Value(key any) any {
	if key == (scopeKey{}) {
		return &c.scope
	}
	return c.Context.Value(key)
}

// edit locks the scope and makes the field set in bit writable.
func (s *Scope) edit(bit uint8) *scopeData {
	s.mu.Lock()
	if s.owned&ownStruct == 0 {
		cp := *s.d
		s.d = &cp
		s.owned |= ownStruct
	}
	if s.owned&bit == 0 {
		d := s.d
		switch bit {
		case ownTags:
			d.tags = maps.Clone(d.tags)
		case ownExtra:
			d.extra = maps.Clone(d.extra)
		case ownContexts:
			d.contexts = maps.Clone(d.contexts)
		case ownFingerprint:
			d.fingerprint = slices.Clone(d.fingerprint)
		case ownCrumbs:
			d.crumbs = append(make([]Breadcrumb, 0, s.max), d.breadcrumbs()...)
			d.head = 0
		}
		s.owned |= bit
	}
	return s.d
}

// SetTag sets a tag; tags index events for search.
func (s *Scope) SetTag(key, value string) {
	if s == nil {
		return
	}
	d := s.edit(ownTags)
	if d.tags == nil {
		d.tags = make(map[string]string)
	}
	d.tags[key] = value
	s.mu.Unlock()
}

// SetTags sets several tags.
func (s *Scope) SetTags(tags map[string]string) {
	if s == nil {
		return
	}
	d := s.edit(ownTags)
	if d.tags == nil {
		d.tags = make(map[string]string, len(tags))
	}
	maps.Copy(d.tags, tags)
	s.mu.Unlock()
}

// RemoveTag removes a tag.
func (s *Scope) RemoveTag(key string) {
	if s == nil {
		return
	}
	d := s.edit(ownTags)
	delete(d.tags, key)
	s.mu.Unlock()
}

// SetExtra sets arbitrary extra data.
func (s *Scope) SetExtra(key string, value any) {
	if s == nil {
		return
	}
	d := s.edit(ownExtra)
	if d.extra == nil {
		d.extra = make(map[string]any)
	}
	d.extra[key] = value
	s.mu.Unlock()
}

// SetContext sets a named context (for example "app" or "order"). A nil
// value removes it.
func (s *Scope) SetContext(name string, value map[string]any) {
	if s == nil {
		return
	}
	d := s.edit(ownContexts)
	if value == nil {
		delete(d.contexts, name)
	} else {
		if d.contexts == nil {
			d.contexts = make(map[string]map[string]any)
		}
		d.contexts[name] = maps.Clone(value)
	}
	s.mu.Unlock()
}

// SetUser sets the user affected by events; nil clears it.
func (s *Scope) SetUser(u *User) {
	if s == nil {
		return
	}
	var cp *User
	if u != nil {
		c := *u
		c.Data = maps.Clone(u.Data)
		cp = &c
	}
	d := s.edit(0)
	d.user = cp
	s.mu.Unlock()
}

// SetRequest sets the HTTP request being handled; nil clears it. The
// request is stored as given and must not be modified afterwards.
func (s *Scope) SetRequest(r *Request) {
	if s == nil {
		return
	}
	d := s.edit(0)
	d.request = r
	s.mu.Unlock()
}

// SetRequestSource defers building the request until an event is
// captured with the scope; a request set with SetRequest wins.
func (s *Scope) SetRequestSource(src RequestSource) {
	if s == nil {
		return
	}
	d := s.edit(0)
	d.reqSrc = src
	s.mu.Unlock()
}

// SetFingerprint overrides how events are grouped into issues.
func (s *Scope) SetFingerprint(fp []string) {
	if s == nil {
		return
	}
	d := s.edit(ownFingerprint)
	d.fingerprint = slices.Clone(fp)
	s.mu.Unlock()
}

// SetLevel overrides the level of events captured with the scope; the
// empty level keeps each event's own.
func (s *Scope) SetLevel(l Level) {
	if s == nil {
		return
	}
	d := s.edit(0)
	d.level = l
	s.mu.Unlock()
}

// SetTransaction names the operation in progress (a route, a job).
func (s *Scope) SetTransaction(name string) {
	if s == nil {
		return
	}
	d := s.edit(0)
	d.transaction = name
	s.mu.Unlock()
}

// SetTrace links events to a distributed trace; nil unlinks.
func (s *Scope) SetTrace(tc *TraceContext) {
	if s == nil {
		return
	}
	var cp *TraceContext
	if tc != nil {
		c := *tc
		cp = &c
	}
	d := s.edit(0)
	d.trace = cp
	s.mu.Unlock()
}

// AddBreadcrumb records a breadcrumb, after the client's BeforeBreadcrumb
// hook (which may change it or return nil to drop it). A zero timestamp is
// set to now.
func (s *Scope) AddBreadcrumb(b Breadcrumb) {
	if s == nil || s.max <= 0 {
		return
	}
	if b.Timestamp.IsZero() {
		b.Timestamp = time.Now()
	}
	if s.client != nil && s.client.cfg.beforeBreadcrumb != nil {
		nb := s.client.runBeforeBreadcrumb(&b)
		if nb == nil {
			return
		}
		b = *nb
	}
	d := s.edit(ownCrumbs)
	if len(d.crumbs) < s.max {
		d.crumbs = append(d.crumbs, b)
	} else {
		d.crumbs[d.head] = b
		d.head = (d.head + 1) % len(d.crumbs)
	}
	s.mu.Unlock()
}

// ClearBreadcrumbs removes every breadcrumb.
func (s *Scope) ClearBreadcrumbs() {
	if s == nil {
		return
	}
	d := s.edit(ownCrumbs)
	d.crumbs = d.crumbs[:0]
	d.head = 0
	s.mu.Unlock()
}

// Breadcrumbs returns a copy of the breadcrumbs, oldest first.
func (s *Scope) Breadcrumbs() []Breadcrumb {
	if s == nil {
		return nil
	}
	return s.snapshot().breadcrumbs()
}

// Tags returns a copy of the tags.
func (s *Scope) Tags() map[string]string {
	if s == nil {
		return nil
	}
	return maps.Clone(s.snapshot().tags)
}

// User returns a copy of the user, or nil.
func (s *Scope) User() *User {
	if s == nil {
		return nil
	}
	if u := s.snapshot().user; u != nil {
		c := *u
		return &c
	}
	return nil
}

type scopeKey struct{}

// WithScope returns a context carrying a new scope forked from the one ctx
// carries (or from the default client's root scope). Changes to the child
// never reach its parent or its siblings, and later changes to the parent
// do not reach the child.
func WithScope(ctx context.Context) context.Context {
	if ctx == nil {
		ctx = context.Background()
	}
	return forkInto(ctx, ScopeFromContext(ctx))
}

// WithScope returns a context carrying a new scope of c: forked from the
// scope ctx carries when it belongs to c, else from c's root scope. It
// costs one allocation, like the package-level WithScope.
func (c *Client) WithScope(ctx context.Context) context.Context {
	if ctx == nil {
		ctx = context.Background()
	}
	return forkInto(ctx, c.scopeFor(ctx))
}

// forkInto returns ctx carrying a child of parent.
func forkInto(ctx context.Context, parent *Scope) context.Context {
	sc := &scopeContext{Context: ctx}
	sc.scope.client, sc.scope.max = parent.client, parent.max
	// the child owns its struct (a copy of the parent's snapshot) but none
	// of the maps and slices it shares with the parent
	sc.scope.own = *parent.snapshot()
	sc.scope.d, sc.scope.owned = &sc.scope.own, ownStruct
	return sc
}

// ContextWithScope returns a context carrying s. Use it to attach the root
// scope of a client that is not the default (Client.Scope).
func ContextWithScope(ctx context.Context, s *Scope) context.Context {
	if ctx == nil {
		ctx = context.Background()
	}
	return context.WithValue(ctx, scopeKey{}, s)
}

// ScopeFromContext returns the scope ctx carries, or the default client's
// root scope when it carries none. It never returns nil.
func ScopeFromContext(ctx context.Context) *Scope {
	if ctx != nil {
		if s, ok := ctx.Value(scopeKey{}).(*Scope); ok && s != nil {
			return s
		}
	}
	return CurrentClient().root
}
