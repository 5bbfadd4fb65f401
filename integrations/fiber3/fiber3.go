// Package ravenfiber3 reports errors and panics of Fiber v3 handlers, with
// a scope per request carrying the request itself.
//
//	app := fiber.New()
//	app.Use(ravenfiber3.New())
//	app.Get("/orders/:id", getOrder)
//
// # What is reported
//
//   - Errors the handlers return, per WithErrorFilter: by default every
//     error except a *fiber.Error below 500 (fiber.ErrNotFound and other
//     client errors are answers, not failures). The error is still returned,
//     so the app's ErrorHandler answers the request as usual.
//   - Panics (mechanism panic, handled false), answered through the
//     ErrorHandler with fiber.ErrInternalServerError; WithRepanic panics
//     again instead, after a bounded flush. Use it instead of Fiber's
//     recover middleware, not with it.
//
// Events the handlers capture themselves carry the same scope.
//
// # The request's scope
//
// Each request gets its own scope, forked from the client's root scope (or
// from the scope of the context set with c.SetContext before the
// middleware), and stored
//
//   - in c.Locals under LocalsKey; Scope(c) returns it;
//   - in the context c.Context() returns, so
//     raven.CaptureExceptionContext(c.Context(), err) reports with it; that
//     context does not reference c, so goroutines may keep it after the
//     handler returned (their events have no request data then);
//   - on c itself, which is a context.Context looking up c.Locals, so
//     raven.CaptureExceptionContext(c, err) reports with it too; like c,
//     valid only until the handler returns.
//
// Tags, user and breadcrumbs set on it reach only events of that request.
// The scope keeps the strings it is given: unless the app is Immutable,
// strings Fiber returns (c.Params, c.Get, ...) are reused after the request
// and must be copied (strings.Clone) before they go on the scope.
//
// # Transaction
//
// The transaction is "METHOD route", the route's template as registered
// ("GET /orders/:id"), never the raw path. Fiber finds the route while the
// request passes through its handlers, after this middleware started, so
// the name is taken when it is needed: when the middleware reports, and
// whenever the scope is looked up through c.Context() or Scope(c)
// (raven.CaptureExceptionContext(c.Context(), err) looks it up). A
// middleware's own route ("USE") never names it. Fiber's Ctx is not safe
// for concurrent use: a goroutine that looks the scope up while the
// request is still being routed (one a middleware starts before calling
// c.Next) reads the route as Fiber sets it; hand such goroutines
// raven.ContextWithScope(context.Background(), Scope(c)) instead, which
// never names the transaction. Events captured with c itself as the
// context use the name taken last.
//
// # Request data
//
// Events carry the method, the URL without its query, the query string,
// the headers (Cookie left out unless WithSendDefaultPII) and, with
// WithRequestBody, the start of the body. Nothing is copied for requests
// that produce no event: the request data is built when an event is
// captured. Fiber and fasthttp reuse a request's memory once it is
// answered, so request data is read only until the middleware returns:
// events captured later (in the app's ErrorHandler, or from goroutines)
// keep the scope but have no request data.
//
// Incoming sentry-trace and traceparent headers are continued
// (raven.ContinueTrace).
package ravenfiber3

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/ravenkit/raven"
	ravenfasthttp "github.com/ravenkit/raven/integrations/fasthttp"
)

// DefaultMaxBodyBytes bounds a request body recorded with WithRequestBody.
const DefaultMaxBodyBytes = ravenfasthttp.DefaultMaxBodyBytes

// DefaultRepanicFlushTimeout bounds how long WithRepanic waits for the
// panic's event before panicking again.
const DefaultRepanicFlushTimeout = 2 * time.Second

// LocalsKey is the c.Locals key under which the middleware stores the
// request's *raven.Scope.
const LocalsKey = ravenfasthttp.ScopeKey

// Option configures the middleware.
type Option interface{ apply(*options) }

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

type options struct {
	client       *raven.Client
	repanic      bool
	pii          bool
	bodyMax      int
	flushTimeout time.Duration
	report       func(error) bool
}

// WithClient reports to c instead of the default client
// (raven.CurrentClient() when the request starts).
func WithClient(c *raven.Client) Option { return optionFunc(func(o *options) { o.client = c }) }

// WithRepanic panics again after reporting (after waiting up to
// DefaultRepanicFlushTimeout for delivery), for apps that recover panics
// themselves.
func WithRepanic() Option { return optionFunc(func(o *options) { o.repanic = true }) }

// WithSendDefaultPII records the client IP address and cookies (scrubbed of
// sensitive names), which are left out by default.
func WithSendDefaultPII() Option { return optionFunc(func(o *options) { o.pii = true }) }

// WithRequestBody records up to max bytes of request bodies (max <= 0:
// DefaultMaxBodyBytes); longer bodies are truncated with a marker. The body
// is copied only when an event is captured; streamed and compressed bodies
// are not recorded.
func WithRequestBody(max int) Option {
	return optionFunc(func(o *options) {
		if max <= 0 {
			max = DefaultMaxBodyBytes
		}
		o.bodyMax = max
	})
}

// WithErrorFilter decides which errors returned by the handlers are
// reported (default DefaultErrorFilter); nil reports none.
func WithErrorFilter(report func(err error) bool) Option {
	return optionFunc(func(o *options) {
		if report == nil {
			report = func(error) bool { return false }
		}
		o.report = report
	})
}

// DefaultErrorFilter reports every error except a *fiber.Error (anywhere in
// its chain) whose code is below 500. Compose it to drop more:
//
//	ravenfiber3.WithErrorFilter(func(err error) bool {
//		return !errors.Is(err, context.Canceled) && ravenfiber3.DefaultErrorFilter(err)
//	})
func DefaultErrorFilter(err error) bool {
	var fe *fiber.Error
	if errors.As(err, &fe) {
		return fe.Code >= fiber.StatusInternalServerError
	}
	return true
}

// New returns the middleware; register it first (app.Use) so that it sees
// every handler's errors and panics.
func New(opts ...Option) fiber.Handler {
	o := &options{flushTimeout: DefaultRepanicFlushTimeout, report: DefaultErrorFilter}
	for _, opt := range opts {
		opt.apply(o)
	}
	return func(c fiber.Ctx) error { return serve(o, c) }
}

// state is what the middleware keeps per request.
type state struct {
	src   ravenfasthttp.Source
	scope *raven.Scope
	sctx  context.Context // carries scope

	mu    sync.Mutex
	c     fiber.Ctx // nil once the middleware returned
	named *fiber.Route
}

// reqContext is the context c.Context() returns to handlers: the scope's
// context, which names the transaction whenever the scope is looked up
// through it.
type reqContext struct {
	context.Context
	st *state
}

// Value returns the parent's value, naming the transaction first when the
// value is the request's scope.
func (rc *reqContext) Value(key any) any {
	v := rc.Context.Value(key)
	if s, ok := v.(*raven.Scope); ok && s == rc.st.scope {
		rc.st.name()
	}
	return v
}

// name sets the transaction from the route being served, while the
// request is.
func (st *state) name() {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.c == nil {
		return
	}
	r := st.c.Route()
	if r == st.named || r.Method == "USE" {
		return
	}
	st.named = r
	st.scope.SetTransaction(st.c.Method() + " " + r.Path)
}

func (st *state) end() {
	st.src.End()
	st.mu.Lock()
	st.c = nil
	st.mu.Unlock()
}

func serve(o *options, c fiber.Ctx) (err error) {
	client := o.client
	if client == nil {
		client = raven.CurrentClient()
	}
	st := &state{c: c}
	st.sctx = client.WithScope(c.Context())
	st.scope = raven.ScopeFromContext(st.sctx)
	fctx := c.RequestCtx()
	st.src.Start(fctx, o.pii, o.bodyMax)
	if tc := raven.ContinueTrace(string(fctx.Request.Header.Peek("Sentry-Trace")),
		string(fctx.Request.Header.Peek("Traceparent"))); tc != nil {
		st.scope.SetTrace(tc)
	}
	st.scope.SetRequestSource(&st.src)
	ravenfasthttp.SetScope(fctx, st.scope)
	c.SetContext(&reqContext{Context: st.sctx, st: st})
	defer finish(o, st, client, &err)
	err = c.Next()
	if err != nil && o.report(err) {
		st.name()
		client.CaptureExceptionContext(st.sctx, err)
	}
	return err
}

func finish(o *options, st *state, client *raven.Client, errp *error) {
	defer st.end()
	v := recover()
	if v == nil {
		return
	}
	st.name()
	client.CapturePanic(st.sctx, v)
	if o.repanic {
		st.end()
		ctx, cancel := context.WithTimeout(context.Background(), o.flushTimeout)
		_ = client.Flush(ctx)
		cancel()
		panic(v)
	}
	*errp = fiber.ErrInternalServerError
}

// Scope returns the request's scope (naming its transaction from the route
// being served), or the default client's root scope when the middleware
// did not run. Use it only while the handler runs.
func Scope(c fiber.Ctx) *raven.Scope {
	if rc, ok := c.Context().(*reqContext); ok {
		rc.st.name()
		return rc.st.scope
	}
	if s, ok := c.Locals(LocalsKey).(*raven.Scope); ok && s != nil {
		return s
	}
	return raven.CurrentClient().Scope()
}
