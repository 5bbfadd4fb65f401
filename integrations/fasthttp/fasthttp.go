// Package ravenfasthttp reports panics and failed requests of fasthttp
// handlers, with a scope per request carrying the request itself.
//
//	h := ravenfasthttp.New()(handler)
//	fasthttp.ListenAndServe(":8080", h)
//
// # What is reported
//
// A panic in the handler is reported (mechanism panic, handled false) and
// answered 500; WithRepanic panics again instead, after a bounded flush
// (fasthttp itself does not recover panics: the process then crashes).
// WithReport5xx also reports responses with a 5xx status. Anything else is
// reported only when handlers capture it themselves.
//
// # The request's scope
//
// Each request gets its own scope, forked from the client's root scope and
// stored in the request's user values. Handlers reach it three ways:
//
//   - Scope(ctx), or ctx.UserValue(ScopeKey).(*raven.Scope);
//   - Context(ctx), a context.Context carrying the scope, for code that
//     takes a context; it does not reference ctx, so goroutines may keep it
//     after the handler returned;
//   - ctx itself: a *fasthttp.RequestCtx is a context.Context whose Value
//     looks up user values, and the middleware stores the scope under the
//     key raven.ScopeFromContext looks for, so
//     raven.CaptureExceptionContext(ctx, err) reports with the request's
//     scope. Like ctx, that is valid only until the handler returns.
//
// Tags, user and breadcrumbs set on the scope reach only events of that
// request.
//
// # Request data
//
// Events carry the method, the URL without its query, the query string
// (scrubbed with the event), the headers (Cookie left out unless
// WithSendDefaultPII) and, with WithRequestBody, the start of the body.
// Nothing is copied for requests that produce no event: the request data
// is built when an event is captured, from the live request.
//
// fasthttp reuses a RequestCtx once its handler returned, so request data
// is read only while the handler runs: an event captured later (from a
// goroutine holding Context(ctx)) keeps the scope's tags, user and
// breadcrumbs but has no request data. An event captured from another
// goroutine while the handler still runs reads the request concurrently
// with the handler, and a RequestCtx is not safe for concurrent use: do
// that only while the handler leaves the request alone (for example while
// it waits for that goroutine).
//
// # Transaction
//
// fasthttp has no router and so no route templates; naming events by the
// raw path would create one transaction per id in the path. The
// transaction is therefore left unset unless WithTransactionName names it
// (a router that knows the template can also call Scope(ctx).SetTransaction).
//
// Incoming sentry-trace and traceparent headers are continued
// (raven.ContinueTrace).
package ravenfasthttp

import (
	"context"
	"net/http"
	"sync"

	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/integrations/internal/httpmw"
	"github.com/valyala/fasthttp"
)

// DefaultMaxBodyBytes bounds a request body recorded with WithRequestBody.
const DefaultMaxBodyBytes = httpmw.DefaultMaxBodyBytes

// DefaultRepanicFlushTimeout bounds how long WithRepanic waits for the
// panic's event before panicking again.
const DefaultRepanicFlushTimeout = httpmw.DefaultRepanicFlushTimeout

// ScopeKey is the user value key under which the middleware stores the
// request's *raven.Scope.
const ScopeKey = "raven.scope"

// Option configures the middleware.
type Option interface{ apply(*options) }

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

type options struct {
	httpmw.Config
	report5xx bool
	txName    func(*fasthttp.RequestCtx) string
}

// WithClient reports to c instead of the default client
// (raven.CurrentClient() when the request starts).
func WithClient(c *raven.Client) Option { return optionFunc(func(o *options) { o.Client = c }) }

// WithRepanic panics again after reporting (after waiting up to
// DefaultRepanicFlushTimeout for delivery), for servers that recover
// panics themselves.
func WithRepanic() Option { return optionFunc(func(o *options) { o.Repanic = true }) }

// WithReport5xx also reports responses with a 5xx status that did not
// panic.
func WithReport5xx() Option { return optionFunc(func(o *options) { o.report5xx = true }) }

// WithSendDefaultPII records the client IP address and cookies (scrubbed of
// sensitive names), which are left out by default.
func WithSendDefaultPII() Option { return optionFunc(func(o *options) { o.PII = true }) }

// WithRequestBody records up to max bytes of request bodies (max <= 0:
// DefaultMaxBodyBytes); longer bodies are truncated with a marker. The body
// is copied only when an event is captured. Streamed bodies
// (Server.StreamRequestBody) and compressed bodies are not recorded.
func WithRequestBody(max int) Option { return optionFunc(func(o *options) { o.SetBodyMax(max) }) }

// WithTransactionName names each request's transaction "METHOD name",
// where name is what f returns when the request starts (before the
// handler); an empty name leaves the transaction unset. f should return a
// template ("/orders/:id"), not a raw path with ids in it; a service whose
// paths hold no ids may return string(ctx.Path()).
func WithTransactionName(f func(ctx *fasthttp.RequestCtx) string) Option {
	return optionFunc(func(o *options) { o.txName = f })
}

// New returns a middleware that gives each request its own scope, reports
// its panic (answered 500) and, with WithReport5xx, its 5xx responses.
func New(opts ...Option) func(fasthttp.RequestHandler) fasthttp.RequestHandler {
	o := &options{Config: httpmw.New()}
	for _, opt := range opts {
		opt.apply(o)
	}
	return func(next fasthttp.RequestHandler) fasthttp.RequestHandler {
		return func(ctx *fasthttp.RequestCtx) { serve(o, next, ctx) }
	}
}

// state is what the middleware keeps per request: the scope's context and
// the source of the event's request.
type state struct {
	src  Source
	sctx context.Context
}

func serve(o *options, next fasthttp.RequestHandler, ctx *fasthttp.RequestCtx) {
	client := o.Client
	if client == nil {
		client = raven.CurrentClient()
	}
	st := &state{sctx: client.WithScope(context.Background())}
	scope := raven.ScopeFromContext(st.sctx)
	st.src.Begin(ctx, scope, o.PII, o.BodyMax)
	if o.txName != nil {
		if name := o.txName(ctx); name != "" {
			scope.SetTransaction(string(ctx.Method()) + " " + name)
		}
	}
	defer finish(o, st, client, ctx)
	next(ctx)
}

func finish(o *options, st *state, client *raven.Client, ctx *fasthttp.RequestCtx) {
	defer st.src.End()
	v := recover()
	if v == nil {
		if o.report5xx && ctx.Response.StatusCode() >= 500 {
			client.CaptureEvent(st.sctx, &raven.Event{Level: raven.LevelError,
				Message: &raven.LogEntry{Formatted: string(ctx.Method()) + " " + string(ctx.Path()) +
					" answered " + http.StatusText(ctx.Response.StatusCode())}})
		}
		return
	}
	client.CapturePanic(st.sctx, v)
	if o.Repanic {
		st.src.End()
		httpmw.Flush(client, o.FlushTimeout)
		panic(v)
	}
	ctx.Error(http.StatusText(http.StatusInternalServerError)+"\n", http.StatusInternalServerError)
}

// Scope returns the request's scope, or the default client's root scope
// when the middleware did not run for ctx. Like ctx, it belongs to the
// request: keep Context(ctx) instead for work that outlives the handler.
func Scope(ctx *fasthttp.RequestCtx) *raven.Scope {
	if s, ok := ctx.UserValue(ScopeKey).(*raven.Scope); ok && s != nil {
		return s
	}
	return raven.CurrentClient().Scope()
}

// Context returns a context.Context carrying the request's scope, for
// raven.CaptureExceptionContext and code that takes a context. It does not
// reference ctx: it stays valid after the handler returned (events then
// carry no request data). Without the middleware it is
// context.Background().
func Context(ctx *fasthttp.RequestCtx) context.Context {
	// made when asked for, rather than stored with every request
	if s, ok := ctx.UserValue(ScopeKey).(*raven.Scope); ok && s != nil {
		return raven.ContextWithScope(context.Background(), s)
	}
	return context.Background()
}

// SetScope stores s as ctx's scope: Scope(ctx) returns it, and so does
// raven.ScopeFromContext(ctx) (ctx is a context.Context). The middleware
// calls it; integrations built on fasthttp call it with their own scope.
func SetScope(ctx *fasthttp.RequestCtx, s *raven.Scope) {
	ctx.SetUserValue(ScopeKey, s)
	if key := ravenScopeKey(); key != nil {
		ctx.SetUserValue(key, s)
	}
}

// The context key of raven's scope is unexported. A *fasthttp.RequestCtx
// answers Value(key) with its user value for key, so storing the scope
// under that key lets raven.ScopeFromContext(ctx) find it. The key is
// learnt once, by watching which key ScopeFromContext asks a context for;
// a test pins that it works.

// keySpy learns the context key raven.ScopeFromContext looks up.
type keySpy struct {
	context.Context
	key any
}

func (k *keySpy) Value(key any) any {
	if k.key == nil {
		k.key = key
	}
	return nil
}

var ravenScopeKey = sync.OnceValue(func() any {
	spy := &keySpy{Context: context.Background()}
	_ = raven.ScopeFromContext(spy)
	return spy.key
})
