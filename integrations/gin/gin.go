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
// middleware stores it twice: in the gin.Context under ScopeKey (read it
// with Scope(c)) and in the context of c.Request, which it replaces with a
// copy carrying that scope. So inside handlers
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
	"time"

	"github.com/gin-gonic/gin"
	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/internal/httpreq"
)

// ScopeKey is the key under which the middleware stores the request's
// *raven.Scope in the gin.Context (c.Get(ScopeKey)).
const ScopeKey = "github.com/ravenkit/raven/integrations/gin.scope"

// UnmatchedRoute stands for the route in the transaction of a request that
// matched no route: "GET <unmatched>".
const UnmatchedRoute = "<unmatched>"

// DefaultErrorTypes are the types of c.Errors reported unless
// WithErrorTypes says otherwise: private errors, the type c.Error gives.
const DefaultErrorTypes = gin.ErrorTypePrivate

// DefaultMaxBodyBytes bounds a request body recorded with WithRequestBody.
const DefaultMaxBodyBytes = 16 << 10

// DefaultRepanicFlushTimeout bounds how long WithRepanic waits for the
// panic's event before panicking again.
const DefaultRepanicFlushTimeout = 2 * time.Second

// Option configures the middleware.
type Option interface{ apply(*options) }

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

type options struct {
	client       *raven.Client
	errorTypes   gin.ErrorType
	repanic      bool
	pii          bool
	bodyMax      int
	flushTimeout time.Duration
	names        httpreq.Names
}

// WithClient reports to c instead of the default client
// (raven.CurrentClient() at the time of each request). A nil c keeps the
// default.
func WithClient(c *raven.Client) Option { return optionFunc(func(o *options) { o.client = c }) }

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
func WithRepanic() Option { return optionFunc(func(o *options) { o.repanic = true }) }

// WithSendDefaultPII records the client IP address and cookies (scrubbed of
// sensitive names), which are left out by default.
func WithSendDefaultPII() Option { return optionFunc(func(o *options) { o.pii = true }) }

// WithRequestBody records up to max bytes of request bodies (max <= 0:
// DefaultMaxBodyBytes); longer bodies are truncated with a marker. The
// handlers still read the whole body, and what was read is kept only
// until the request ends.
func WithRequestBody(max int) Option {
	return optionFunc(func(o *options) {
		if max <= 0 {
			max = DefaultMaxBodyBytes
		}
		o.bodyMax = max
	})
}

// New returns the middleware. Register it before the handlers it covers.
func New(opts ...Option) gin.HandlerFunc {
	o := &options{errorTypes: DefaultErrorTypes, flushTimeout: DefaultRepanicFlushTimeout}
	for _, opt := range opts {
		opt.apply(o)
	}
	return o.handle
}

// Scope returns the scope the middleware gave the request, or the scope
// c.Request's context carries (the default client's root scope when the
// middleware did not run). It never returns nil.
func Scope(c *gin.Context) *raven.Scope {
	if v, ok := c.Get(ScopeKey); ok {
		if s, ok := v.(*raven.Scope); ok && s != nil {
			return s
		}
	}
	if c.Request != nil {
		return raven.ScopeFromContext(c.Request.Context())
	}
	return raven.ScopeFromContext(context.Background())
}

// state is what the middleware keeps per request: the source of the
// event's request.
type state struct {
	r    *http.Request
	o    *options
	body *httpreq.Body
}

func (o *options) handle(c *gin.Context) {
	r := c.Request
	var ctx context.Context
	if o.client != nil {
		ctx = o.client.WithScope(r.Context())
	} else {
		ctx = raven.WithScope(r.Context())
	}
	scope := raven.ScopeFromContext(ctx)
	if tc := raven.ContinueTrace(httpreq.Header(r.Header, "Sentry-Trace"), httpreq.Header(r.Header, "Traceparent")); tc != nil {
		scope.SetTrace(tc)
	}
	st := &state{o: o}
	r = r.WithContext(ctx)
	if o.bodyMax > 0 && r.Body != nil && r.Body != http.NoBody {
		st.body = httpreq.NewBody(r.Body, o.bodyMax)
		r.Body = st.body
	}
	st.r = r
	c.Request = r
	scope.SetRequestSource(st)
	scope.SetTransaction(o.transaction(c.Request.Method, c.FullPath()))
	c.Set(ScopeKey, scope)
	defer o.recover(c, st, scope)
	c.Next()
	if o.errorTypes != 0 {
		for _, e := range c.Errors {
			if e != nil && e.Err != nil && e.Type&o.errorTypes != 0 {
				scope.Client().CaptureExceptionContext(ctx, e.Err)
			}
		}
	}
}

func (o *options) recover(c *gin.Context, st *state, scope *raven.Scope) {
	v := recover()
	if v == nil {
		return
	}
	if v == http.ErrAbortHandler { //nolint:errorlint // the sentinel is panicked as is
		panic(v)
	}
	client := scope.Client()
	client.CapturePanic(st.r.Context(), v)
	if o.repanic {
		ctx, cancel := context.WithTimeout(context.Background(), o.flushTimeout)
		_ = client.Flush(ctx)
		cancel()
		panic(v)
	}
	if c.Writer.Written() {
		c.Abort()
		return
	}
	c.AbortWithStatus(http.StatusInternalServerError)
}

// SentryRequest builds the event's request, at capture time only.
func (st *state) SentryRequest() *raven.Request {
	return httpreq.Request(st.r, st.o.pii, st.body)
}

// transaction names the request by its route template (UnmatchedRoute
// when no route matched).
func (o *options) transaction(method, route string) string {
	if route == "" {
		route = UnmatchedRoute
	}
	return o.names.Transaction(method, route)
}
