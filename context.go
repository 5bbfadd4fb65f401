package raven

import (
	"context"
	"maps"
	"time"

	"github.com/ravenkit/raven/internal/builder"
	"github.com/ravenkit/raven/internal/scope"
)

// DefaultMaxBreadcrumbs is how many breadcrumbs a scope keeps; older ones
// are overwritten.
const DefaultMaxBreadcrumbs = 100

// RequestSource builds the Request of an event when one is captured.
// Integrations set one per request with Scope.SetRequestSource so that
// requests that report nothing pay nothing for recording themselves. Its
// method, SentryRequest, is called on the capturing goroutine, at capture
// time, and so are these, when a source has them: SentryTransaction()
// string, the route template, for events whose scope names no
// transaction; SentryHTTPRequest() *http.Request, for EventHint.Request;
// SentryClientGone() bool, true when the client went away, which makes a
// capture of context.Canceled a no-op (counted as event_processor);
// SentryContext() (name string, value map[string]any), a named context
// built only for events (the event's or the scope's of that name win).
type RequestSource = scope.RequestSource

// TraceContext links an event to a distributed trace (TraceID, SpanID,
// ParentSpanID, Sampled).
type TraceContext = scope.Trace

// Scope holds the data attached to events captured with it: tags, extra,
// user, request, contexts, fingerprint, level, transaction and a ring of
// breadcrumbs. A Scope is safe for concurrent use. Fork one per request or
// task with WithScope so that data never leaks between them.
type Scope struct {
	client *Client
	st     scope.Store
}

func newScope(c *Client, max int) *Scope {
	s := &Scope{client: c}
	s.st.Init(max)
	return s
}

// Client returns the client events captured with this scope go to.
func (s *Scope) Client() *Client { return s.client }

// snapshot returns the scope's current data; it must not be mutated.
func (s *Scope) snapshot() *scope.Data { return s.st.Snapshot() }

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

// SetTag sets a tag; tags index events for search.
func (s *Scope) SetTag(key, value string) {
	if s != nil {
		s.st.SetTag(key, value)
	}
}

// SetTags sets several tags.
func (s *Scope) SetTags(tags map[string]string) {
	if s != nil {
		s.st.SetTags(tags)
	}
}

// RemoveTag removes a tag.
func (s *Scope) RemoveTag(key string) {
	if s != nil {
		s.st.RemoveTag(key)
	}
}

// SetExtra sets arbitrary extra data.
func (s *Scope) SetExtra(key string, value any) {
	if s != nil {
		s.st.SetExtra(key, value)
	}
}

// SetExtras sets several extra values.
func (s *Scope) SetExtras(extra map[string]any) {
	if s != nil {
		s.st.SetExtras(extra)
	}
}

// RemoveExtra removes an extra value.
func (s *Scope) RemoveExtra(key string) {
	if s != nil {
		s.st.RemoveExtra(key)
	}
}

// SetContexts sets several named contexts; a nil value removes its
// context.
func (s *Scope) SetContexts(contexts map[string]map[string]any) {
	if s != nil {
		s.st.SetContexts(contexts)
	}
}

// RemoveContext removes a named context.
func (s *Scope) RemoveContext(name string) {
	if s != nil {
		s.st.RemoveContext(name)
	}
}

// Clear removes everything the scope holds: tags, extra, contexts, user,
// request, fingerprint, level, transaction, trace, breadcrumbs and event
// processors. Its parent and children are not affected.
func (s *Scope) Clear() {
	if s != nil {
		s.st.Clear()
	}
}

// AddEventProcessor adds a function that sees every event captured with
// this scope (and scopes forked from it afterwards), with its hint, before
// the client's processors and BeforeSend; it may change the event or
// return nil to drop it (counted as event_processor). It runs on a sender
// goroutine; a panic in it is recovered and drops the event.
func (s *Scope) AddEventProcessor(f func(*Event, *EventHint) *Event) {
	if s != nil && f != nil {
		s.st.AddProcessor(f)
	}
}

// SetContext sets a named context (for example "app" or "order"). A nil
// value removes it.
func (s *Scope) SetContext(name string, value map[string]any) {
	if s != nil {
		s.st.SetContext(name, value)
	}
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
	s.st.Set(func(d *scope.Data) { d.User = cp })
}

// SetRequest sets the HTTP request being handled; nil clears it. The
// request is stored as given and must not be modified afterwards.
func (s *Scope) SetRequest(r *Request) {
	if s != nil {
		s.st.Set(func(d *scope.Data) { d.Request = r })
	}
}

// SetRequestSource defers building the request until an event is
// captured with the scope; a request set with SetRequest wins.
func (s *Scope) SetRequestSource(src RequestSource) {
	if s != nil {
		s.st.Set(func(d *scope.Data) { d.ReqSrc = src })
	}
}

// SetFingerprint overrides how events are grouped into issues.
func (s *Scope) SetFingerprint(fp []string) {
	if s != nil {
		s.st.SetFingerprint(fp)
	}
}

// SetLevel overrides the level of events captured with the scope; the
// empty level keeps each event's own.
func (s *Scope) SetLevel(l Level) {
	if s != nil {
		s.st.Set(func(d *scope.Data) { d.Level = l })
	}
}

// SetTransaction names the operation in progress (a route, a job).
func (s *Scope) SetTransaction(name string) {
	if s != nil {
		s.st.Set(func(d *scope.Data) { d.Transaction = name })
	}
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
	s.st.Set(func(d *scope.Data) { d.Trace = cp })
}

// AddBreadcrumb records a breadcrumb, after the client's BeforeBreadcrumb
// hook (which may change it or return nil to drop it). A zero timestamp is
// set to now.
func (s *Scope) AddBreadcrumb(b Breadcrumb) {
	if s == nil || s.st.MaxBreadcrumbs() <= 0 {
		return
	}
	if b.Timestamp.IsZero() {
		b.Timestamp = time.Now()
	}
	if s.client != nil && s.client.cfg.beforeBreadcrumb != nil {
		cp := b // a copy, so that b does not escape when no hook is set
		nb := builder.RunBeforeBreadcrumb(s.client.cfg.logger, s.client.cfg.beforeBreadcrumb, &cp)
		if nb == nil {
			return
		}
		b = *nb
	}
	s.st.AddBreadcrumb(b)
}

// ClearBreadcrumbs removes every breadcrumb.
func (s *Scope) ClearBreadcrumbs() {
	if s != nil {
		s.st.ClearBreadcrumbs()
	}
}

// Breadcrumbs returns a copy of the breadcrumbs, oldest first.
func (s *Scope) Breadcrumbs() []Breadcrumb {
	if s == nil {
		return nil
	}
	return s.snapshot().Breadcrumbs()
}

// Tags returns a copy of the tags.
func (s *Scope) Tags() map[string]string {
	if s == nil {
		return nil
	}
	return maps.Clone(s.snapshot().Tags)
}

// User returns a copy of the user, or nil.
func (s *Scope) User() *User {
	if s == nil {
		return nil
	}
	if u := s.snapshot().User; u != nil {
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
	sc.scope.client = parent.client
	sc.scope.st.Fork(&parent.st)
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
