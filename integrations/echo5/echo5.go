// Package ravenecho5 reports panics and returned errors of echo v5
// handlers, with a scope per request carrying the request itself. It is
// ravenecho (github.com/ravenkit/raven/integrations/echo, for echo v4) for
// echo v5's API: same options, same behaviour.
//
//	e := echo.New()
//	e.Use(ravenecho5.New())
//	e.GET("/orders/:id", getOrder)
//
// # The request's scope
//
// Each request gets its own scope, forked from the client's root scope. The
// middleware stores it in the context of the request, which it replaces
// (c.SetRequest) with a copy carrying that scope (read it with Scope(c)).
// So inside handlers
//
//	ravenecho5.Scope(c).SetTag("tenant", id)
//	raven.CaptureExceptionContext(c.Request().Context(), err)
//
// reach that request's scope only: tags, user and breadcrumbs set there
// never show up on events of other requests.
//
// Every event of the request carries the transaction "METHOD route", with
// the route template of c.Path() ("GET /orders/:id"), never the raw path; a
// request that matched no route is named "METHOD <unmatched>". Incoming
// sentry-trace or traceparent headers are continued.
//
// # What is reported
//
//   - An error a handler (or a later middleware) returns, when the status
//     it stands for is reported: that status is the one of the first
//     echo.HTTPStatusCoder in the error's chain that gives one, else 500,
//     as echo's default error handler decides. By default statuses >= 500
//     are reported, so plain errors are and echo.ErrNotFound or a 400 are
//     not; WithReportStatus chooses. The error is then returned unchanged,
//     and echo's HTTPErrorHandler answers it as usual.
//   - A panic in a later handler: reported with mechanism "panic", handled
//     false, and returned as an *echo.HTTPError 500 (wrapping the panic)
//     that echo's HTTPErrorHandler answers; a response already written is
//     left alone. With WithRepanic the middleware waits up to
//     DefaultRepanicFlushTimeout for delivery and panics again instead.
//     http.ErrAbortHandler passes through unreported.
//
// Nothing else is reported: an error a handler answers itself (calling
// the HTTPErrorHandler) and does not return is not seen.
//
// Events carry the request as ravenhttp records it: method, URL without the
// query, the query string and headers (scrubbed with the event; Cookie left
// out unless WithSendDefaultPII), and the body only with WithRequestBody.
// All of it is built only when an event is captured.
//
// Register the middleware with e.Use (it then runs after routing and sees
// the route) and outside echo's own middleware.Recover, or that one
// answers panics before the middleware sees them.
package ravenecho5

import (
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v5"
	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/integrations/internal/echomw"
	"github.com/ravenkit/raven/integrations/internal/httpmw"
)

// UnmatchedRoute stands for the route in the transaction of a request that
// matched no route: "GET <unmatched>".
const UnmatchedRoute = httpmw.UnmatchedRoute

// DefaultMaxBodyBytes bounds a request body recorded with WithRequestBody.
const DefaultMaxBodyBytes = httpmw.DefaultMaxBodyBytes

// DefaultRepanicFlushTimeout bounds how long WithRepanic waits for the
// panic's event before panicking again.
const DefaultRepanicFlushTimeout = httpmw.DefaultRepanicFlushTimeout

// DefaultReportStatus is which returned errors are reported unless
// WithReportStatus says otherwise: those standing for a 5xx status.
func DefaultReportStatus(status int) bool { return echomw.DefaultReportStatus(status) }

// Option configures the middleware.
type Option = echomw.Option

// WithClient reports to c instead of the default client
// (raven.CurrentClient() at the time of each request). A nil c keeps the
// default.
func WithClient(c *raven.Client) Option { return echomw.WithClient(c) }

// WithReportStatus reports a returned error when report returns true for
// the status it stands for (see the package doc): for example
// func(int) bool { return true } reports 4xx errors too. A nil report
// restores DefaultReportStatus.
func WithReportStatus(report func(status int) bool) Option { return echomw.WithReportStatus(report) }

// WithRepanic panics again after reporting a panic (after waiting up to
// DefaultRepanicFlushTimeout for delivery), for an outer recovery that
// must see the panic itself.
func WithRepanic() Option { return echomw.WithRepanic() }

// WithSendDefaultPII records the client IP address and cookies (scrubbed of
// sensitive names), which are left out by default.
func WithSendDefaultPII() Option { return echomw.WithSendDefaultPII() }

// WithRequestBody records up to max bytes of request bodies (max <= 0:
// DefaultMaxBodyBytes); longer bodies are truncated with a marker. The
// handlers still read the whole body, and what was read is kept only
// until the request ends.
func WithRequestBody(max int) Option { return echomw.WithRequestBody(max) }

// New returns the middleware. Register it with e.Use.
func New(opts ...Option) echo.MiddlewareFunc {
	o := echomw.New(StatusOf, internalError, opts)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error { return echomw.Handle(o, c, next) }
	}
}

// Scope returns the scope the middleware gave the request: the scope the
// request's context carries (the default client's root scope when the
// middleware did not run). It never returns nil.
func Scope(c *echo.Context) *raven.Scope {
	if c != nil {
		if r := c.Request(); r != nil {
			return raven.ScopeFromContext(r.Context())
		}
	}
	return raven.ScopeFromContext(context.Background())
}

// StatusOf is the status a returned error stands for: the one of the first
// echo.HTTPStatusCoder in its chain, else 500 (also when that status is 0),
// as echo's default error handler decides.
func StatusOf(err error) int {
	var sc echo.HTTPStatusCoder
	if errors.As(err, &sc) && sc != nil {
		if code := sc.StatusCode(); code != 0 {
			return code
		}
	}
	return http.StatusInternalServerError
}

// internalError is what a recovered panic is answered with, for echo's
// HTTPErrorHandler.
func internalError(perr error) error {
	return echo.NewHTTPError(http.StatusInternalServerError, http.StatusText(http.StatusInternalServerError)).Wrap(perr)
}
