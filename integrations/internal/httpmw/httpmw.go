// Package httpmw is the per-request work the middlewares of net/http based
// frameworks (ravengin, ravenecho, ravenecho5) share: their common options,
// forking the request's scope, continuing its trace, recording its body
// when asked, naming its transaction, and reporting a recovered panic.
// Flush, the bounded wait before panicking again, serves every middleware
// and interceptor under integrations/.
//
// It sits above package raven (integrations import it, raven does not), so
// it uses raven's API; under integrations/, its frames count as the SDK's
// in stack traces, as the integrations' own do.
package httpmw

import (
	"context"
	"net/http"
	"time"

	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/internal/httpreq"
)

// UnmatchedRoute stands for the route in the transaction of a request that
// matched no route: "GET <unmatched>".
const UnmatchedRoute = "<unmatched>"

// DefaultMaxBodyBytes bounds a request body recorded when a middleware is
// asked to record bodies without a bound.
const DefaultMaxBodyBytes = 16 << 10

// DefaultRepanicFlushTimeout bounds how long a middleware that re-panics
// waits for the panic's event before panicking again.
const DefaultRepanicFlushTimeout = 2 * time.Second

// Config is what every net/http based middleware is configured with. The
// zero value reports to the default client, records no body, leaves PII
// out and does not re-panic; New gives the default flush timeout.
type Config struct {
	// Client receives the events; nil: raven.CurrentClient() at each request.
	Client *raven.Client
	// Repanic panics again after reporting a panic.
	Repanic bool
	// PII records the client's address and cookies.
	PII bool
	// BodyMax > 0 records up to that many bytes of request bodies.
	BodyMax int
	// FlushTimeout bounds the wait for delivery before re-panicking.
	FlushTimeout time.Duration

	names httpreq.Names
}

// New returns a Config with the default flush timeout.
func New() Config { return Config{FlushTimeout: DefaultRepanicFlushTimeout} }

// SetBodyMax records bodies up to max bytes (max <= 0: DefaultMaxBodyBytes).
func (c *Config) SetBodyMax(max int) {
	if max <= 0 {
		max = DefaultMaxBodyBytes
	}
	c.BodyMax = max
}

// Start forks the request's scope from the scope r's context carries (or
// the configured client's root scope), continues an incoming sentry-trace
// or traceparent header, names the transaction "METHOD route"
// (UnmatchedRoute when route is empty) and makes the request the source
// of events' request data. It returns a shallow copy of r whose context
// carries the scope (and whose body is recorded when BodyMax > 0), and the
// scope. The request data is built only when an event is captured.
func (c *Config) Start(r *http.Request, route string) (*http.Request, *raven.Scope) {
	var ctx context.Context
	if c.Client != nil {
		ctx = c.Client.WithScope(r.Context())
	} else {
		ctx = raven.WithScope(r.Context())
	}
	scope := raven.ScopeFromContext(ctx)
	if tc := raven.ContinueTrace(httpreq.Header(r.Header, "Sentry-Trace"), httpreq.Header(r.Header, "Traceparent")); tc != nil {
		scope.SetTrace(tc)
	}
	r = r.WithContext(ctx)
	switch {
	case c.BodyMax > 0 && r.Body != nil && r.Body != http.NoBody:
		src := &bodySource{r: r, pii: c.PII, body: httpreq.NewBody(r.Body, c.BodyMax)}
		r.Body = src.body
		scope.SetRequestSource(src)
	case c.PII:
		scope.SetRequestSource((*piiSource)(r))
	default:
		// the request itself is the source: no allocation per request
		scope.SetRequestSource((*plainSource)(r))
	}
	if route == "" {
		route = UnmatchedRoute
	}
	scope.SetTransaction(c.names.Transaction(r.Method, route))
	return r, scope
}

// Panicked reports v, a value recovered from a panic, with the scope ctx
// carries; with Repanic it then waits up to FlushTimeout for delivery and
// panics again with v. http.ErrAbortHandler is panicked again at once,
// unreported. Call it from the deferred function that recovered, so the
// stack still shows where the panic happened.
func (c *Config) Panicked(ctx context.Context, client *raven.Client, v any) {
	if v == http.ErrAbortHandler { //nolint:errorlint // the sentinel is panicked as is
		panic(v)
	}
	client.CapturePanic(ctx, v)
	if c.Repanic {
		Flush(client, c.FlushTimeout)
		panic(v)
	}
}

// Flush waits up to timeout for the events of client to be delivered,
// as a middleware does before panicking again.
func Flush(client *raven.Client, timeout time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	_ = client.Flush(ctx)
	cancel()
}

// plainSource is a request whose event data leaves PII out.
type plainSource http.Request

// SentryRequest builds the event's request, at capture time only.
func (s *plainSource) SentryRequest() *raven.Request {
	return httpreq.Request((*http.Request)(s), false, nil)
}

// piiSource is a request whose event data has the client's address and
// cookies.
type piiSource http.Request

// SentryRequest builds the event's request, at capture time only.
func (s *piiSource) SentryRequest() *raven.Request {
	return httpreq.Request((*http.Request)(s), true, nil)
}

// bodySource is a request whose body is recorded.
type bodySource struct {
	r    *http.Request
	pii  bool
	body *httpreq.Body
}

// SentryRequest builds the event's request, at capture time only.
func (s *bodySource) SentryRequest() *raven.Request {
	return httpreq.Request(s.r, s.pii, s.body)
}
