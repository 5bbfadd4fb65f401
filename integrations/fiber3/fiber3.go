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
	"github.com/gofiber/fiber/v3"
	"github.com/ravenkit/raven"
	ravenfasthttp "github.com/ravenkit/raven/integrations/fasthttp"
	"github.com/ravenkit/raven/integrations/internal/fibermw"
	"github.com/ravenkit/raven/integrations/internal/httpmw"
)

// DefaultMaxBodyBytes bounds a request body recorded with WithRequestBody.
const DefaultMaxBodyBytes = ravenfasthttp.DefaultMaxBodyBytes

// DefaultRepanicFlushTimeout bounds how long WithRepanic waits for the
// panic's event before panicking again.
const DefaultRepanicFlushTimeout = httpmw.DefaultRepanicFlushTimeout

// LocalsKey is the c.Locals key under which the middleware stores the
// request's *raven.Scope.
const LocalsKey = ravenfasthttp.ScopeKey

// Option configures the middleware.
type Option = fibermw.Option

// WithClient reports to c instead of the default client
// (raven.CurrentClient() when the request starts).
func WithClient(c *raven.Client) Option { return fibermw.WithClient(c) }

// WithRepanic panics again after reporting (after waiting up to
// DefaultRepanicFlushTimeout for delivery), for apps that recover panics
// themselves.
func WithRepanic() Option { return fibermw.WithRepanic() }

// WithSendDefaultPII records the client IP address and cookies (scrubbed of
// sensitive names), which are left out by default.
func WithSendDefaultPII() Option { return fibermw.WithSendDefaultPII() }

// WithRequestBody records up to max bytes of request bodies (max <= 0:
// DefaultMaxBodyBytes); longer bodies are truncated with a marker. The body
// is copied only when an event is captured; streamed and compressed bodies
// are not recorded.
func WithRequestBody(max int) Option { return fibermw.WithRequestBody(max) }

// WithErrorFilter decides which errors returned by the handlers are
// reported (default DefaultErrorFilter); nil reports none.
func WithErrorFilter(report func(err error) bool) Option { return fibermw.WithErrorFilter(report) }

// DefaultErrorFilter reports every error except a *fiber.Error (anywhere in
// its chain) whose code is below 500. Compose it to drop more:
//
//	ravenfiber3.WithErrorFilter(func(err error) bool {
//		return !errors.Is(err, context.Canceled) && ravenfiber3.DefaultErrorFilter(err)
//	})
func DefaultErrorFilter(err error) bool {
	return fibermw.ReportCode(err, func(e *fiber.Error) int { return e.Code })
}

// New returns the middleware; register it first (app.Use) so that it sees
// every handler's errors and panics.
func New(opts ...Option) fiber.Handler {
	o := fibermw.NewOptions(DefaultErrorFilter, opts)
	return func(c fiber.Ctx) error { return framework.Serve(o, c) }
}

// framework is how the middleware reaches Fiber's request state.
var framework = &fibermw.Framework[fiber.Ctx, ravenfasthttp.Source, *ravenfasthttp.Source]{
	Context:    fiber.Ctx.Context,
	SetContext: fiber.Ctx.SetContext,
	Route: func(c fiber.Ctx) (any, string, string) {
		r := c.Route()
		return r, r.Method, r.Path
	},
	Begin: func(c fiber.Ctx, src *ravenfasthttp.Source, scope *raven.Scope, pii bool, bodyMax int) {
		src.Begin(c.RequestCtx(), scope, pii, bodyMax)
	},
	LocalsKey: LocalsKey,
	Failed:    fiber.ErrInternalServerError,
}

// Scope returns the request's scope (naming its transaction from the route
// being served), or the default client's root scope when the middleware
// did not run. Use it only while the handler runs.
func Scope(c fiber.Ctx) *raven.Scope { return framework.Scope(c) }
