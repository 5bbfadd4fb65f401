// Package ravengin reports panics and recorded errors of gin handlers, with
// a scope per request carrying the request itself.
//
//	r := gin.New()
//	r.Use(ravengin.New())
//	r.GET("/orders/:id", getOrder)
//
// # The request's scope
//
// Each request gets its own scope, forked from the client's root scope. The
// middleware stores it in the context of c.Request, which it replaces with
// a copy carrying that scope (read it with Scope(c)). So inside handlers
//
//	ravengin.Scope(c).SetTag("tenant", id)
//	raven.CaptureExceptionContext(c.Request.Context(), err)
//
// reach that request's scope only: tags, user and breadcrumbs set there
// never show up on events of other requests. raven.ScopeFromContext(c) (the
// gin.Context itself as a context.Context) finds the scope too when the
// engine's ContextWithFallback is true, as gin then looks up the request's
// context; without it, gin answers nil and raven falls back to the root
// scope, so use Scope(c) or c.Request.Context().
//
// Every event of the request carries the transaction "METHOD route", with
// the route template of c.FullPath() ("GET /orders/:id"), never the raw
// path; a request that matched no route is named "METHOD <unmatched>".
// Incoming sentry-trace or traceparent headers are continued.
//
// # What is reported
//
//   - A panic in a later handler: reported with mechanism "panic", handled
//     false, and answered 500 (the response is left alone when it was
//     already written). With WithRepanic the middleware waits up to
//     DefaultRepanicFlushTimeout for delivery and panics again, for an outer
//     gin.Recovery or the server. http.ErrAbortHandler passes through
//     unreported.
//   - Errors recorded with c.Error or c.AbortWithError, once the handlers
//     return: by default those of type gin.ErrorTypePrivate (what c.Error
//     records unless told otherwise); public, bind and render errors are
//     answers to the client or failures to write to it and are left out.
//     WithErrorTypes chooses. Each error is one event. The type, not the
//     status, decides: c.AbortWithError(http.StatusNotFound, err) records
//     a private error and is reported; mark such answers public
//     (.SetType(gin.ErrorTypePublic)) to keep them out.
//
// Nothing else is reported: a handler that answers 500 without recording
// an error reports nothing.
//
// Events carry the request as ravenhttp records it: method, URL without the
// query, the query string and headers (scrubbed with the event; Cookie left
// out unless WithSendDefaultPII), and the body only with WithRequestBody.
// All of it is built only when an event is captured.
//
// Register the middleware with gin.New() and before the handlers it
// covers; with gin.Default(), gin's own Recovery runs first and is the one
// that sees panics only if the middleware re-panics (WithRepanic).
package ravengin

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/integrations/internal/httpmw"
)

// UnmatchedRoute stands for the route in the transaction of a request that
// matched no route: "GET <unmatched>".
const UnmatchedRoute = httpmw.UnmatchedRoute

// DefaultErrorTypes are the types of c.Errors reported unless
// WithErrorTypes says otherwise: private errors, the type c.Error gives.
const DefaultErrorTypes = gin.ErrorTypePrivate

// DefaultMaxBodyBytes bounds a request body recorded with WithRequestBody.
const DefaultMaxBodyBytes = httpmw.DefaultMaxBodyBytes

// DefaultRepanicFlushTimeout bounds how long WithRepanic waits for the
// panic's event before panicking again.
const DefaultRepanicFlushTimeout = httpmw.DefaultRepanicFlushTimeout

// Option configures the middleware.
type Option interface{ apply(*options) }

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

type options struct {
	httpmw.Config
	errorTypes gin.ErrorType
}

// WithClient reports to c instead of the default client
// (raven.CurrentClient() at the time of each request). A nil c keeps the
// default.
func WithClient(c *raven.Client) Option { return optionFunc(func(o *options) { o.Client = c }) }

// WithErrorTypes reports the errors of c.Errors whose type shares a bit
// with types: gin.ErrorTypePrivate|gin.ErrorTypePublic for both,
// gin.ErrorTypeAny for every error, 0 for none. The default is
// DefaultErrorTypes.
func WithErrorTypes(types gin.ErrorType) Option {
	return optionFunc(func(o *options) { o.errorTypes = types })
}

// WithRepanic panics again after reporting a panic (after waiting up to
// DefaultRepanicFlushTimeout for delivery), for an outer recovery that
// must see the panic itself.
func WithRepanic() Option { return optionFunc(func(o *options) { o.Repanic = true }) }

// WithSendDefaultPII records the client IP address and cookies (scrubbed of
// sensitive names), which are left out by default.
func WithSendDefaultPII() Option { return optionFunc(func(o *options) { o.PII = true }) }

// WithRequestBody records up to max bytes of request bodies (max <= 0:
// DefaultMaxBodyBytes); longer bodies are truncated with a marker. The
// handlers still read the whole body, and what was read is kept only
// until the request ends.
func WithRequestBody(max int) Option { return optionFunc(func(o *options) { o.SetBodyMax(max) }) }

// New returns the middleware. Register it before the handlers it covers.
func New(opts ...Option) gin.HandlerFunc {
	o := &options{Config: httpmw.New(), errorTypes: DefaultErrorTypes}
	for _, opt := range opts {
		opt.apply(o)
	}
	return o.handle
}

// Scope returns the scope the middleware gave the request: the scope
// c.Request's context carries (the default client's root scope when the
// middleware did not run). It never returns nil.
func Scope(c *gin.Context) *raven.Scope {
	if c != nil && c.Request != nil {
		return raven.ScopeFromContext(c.Request.Context())
	}
	return raven.ScopeFromContext(context.Background())
}

func (o *options) handle(c *gin.Context) {
	r, scope := o.Start(c.Request, c.FullPath())
	c.Request = r
	defer o.recover(r.Context(), c, scope)
	c.Next()
	if o.errorTypes != 0 {
		for _, e := range c.Errors {
			if e != nil && e.Err != nil && e.Type&o.errorTypes != 0 {
				scope.Client().CaptureExceptionContext(r.Context(), e.Err)
			}
		}
	}
}

func (o *options) recover(ctx context.Context, c *gin.Context, scope *raven.Scope) {
	v := recover()
	if v == nil {
		return
	}
	o.Panicked(ctx, scope.Client(), v)
	if c.Writer.Written() {
		c.Abort()
		return
	}
	c.AbortWithStatus(http.StatusInternalServerError)
}
