// Package ravenhttp reports panics and failed requests of net/http
// handlers, with a scope per request carrying the request itself.
//
//	mux := http.NewServeMux()
//	mux.HandleFunc("GET /orders/{id}", getOrder)
//	http.ListenAndServe(":8080", ravenhttp.Handler(mux))
//
// Inside handlers, raven.ScopeFromContext(r.Context()) is the request's
// own scope: tags, user and breadcrumbs set there reach only events of that
// request, and raven.CaptureExceptionContext(r.Context(), err) reports
// with them.
package ravenhttp

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/internal/httpreq"
)

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
	repanic      bool
	report5xx    bool
	pii          bool
	bodyMax      int
	flushTimeout time.Duration
	reportGone   bool
}

// WithClient reports to c instead of the default client.
func WithClient(c *raven.Client) Option { return optionFunc(func(o *options) { o.client = c }) }

// WithRepanic panics again after reporting (after waiting up to
// DefaultRepanicFlushTimeout for delivery), for servers that must see the
// panic themselves.
func WithRepanic() Option { return optionFunc(func(o *options) { o.repanic = true }) }

// WithReport5xx also reports responses with a 5xx status that did not
// panic.
func WithReport5xx() Option { return optionFunc(func(o *options) { o.report5xx = true }) }

// WithReportClientGone(true) reports errors that are context.Canceled
// after the client went away (its request's context ended before the
// handler returned), which the middleware leaves out by default: a client
// that hangs up is not a bug of the service.
func WithReportClientGone(report bool) Option {
	return optionFunc(func(o *options) { o.reportGone = report })
}

// WithSendDefaultPII records the client IP address and cookies (scrubbed of
// sensitive names), which are left out by default.
func WithSendDefaultPII() Option { return optionFunc(func(o *options) { o.pii = true }) }

// WithRequestBody records up to max bytes of request bodies (0:
// DefaultMaxBodyBytes); longer bodies are truncated with a marker. The
// handler still reads the whole body.
func WithRequestBody(max int) Option {
	return optionFunc(func(o *options) {
		if max <= 0 {
			max = DefaultMaxBodyBytes
		}
		o.bodyMax = max
	})
}

// Handler wraps h: each request gets its own scope on r.Context(), a panic
// is reported (mechanism panic, handled false) and answered 500 if nothing
// was written yet, and http.ErrAbortHandler passes through untouched.
func Handler(h http.Handler, opts ...Option) http.Handler {
	o := &options{flushTimeout: DefaultRepanicFlushTimeout}
	for _, opt := range opts {
		if opt != nil {
			opt.apply(o)
		}
	}
	return &handler{next: h, o: o}
}

// HandlerFunc is Handler for a handler function.
func HandlerFunc(f http.HandlerFunc, opts ...Option) http.Handler { return Handler(f, opts...) }

type handler struct {
	next http.Handler
	o    *options
}

// state is everything the middleware keeps per request, in one allocation:
// the response writer wrapper and the source of the event's request.
type state struct {
	w      http.ResponseWriter
	r      *http.Request
	o      *options
	status int
	done   atomic.Bool // the handler returned: its context ends anyway
	wrote  bool
	body   *httpreq.Body
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var ctx context.Context
	if h.o.client != nil {
		ctx = h.o.client.WithScope(r.Context())
	} else {
		ctx = raven.WithScope(r.Context())
	}
	scope := raven.ScopeFromContext(ctx)
	st := &state{w: w, o: h.o}
	if tc := raven.ContinueTrace(r.Header.Get("Sentry-Trace"), r.Header.Get("Traceparent")); tc != nil {
		scope.SetTrace(tc)
	}
	if h.o.bodyMax > 0 && r.Body != nil && r.Body != http.NoBody {
		st.body = httpreq.NewBody(r.Body, h.o.bodyMax)
		r2 := r.WithContext(ctx)
		r2.Body = st.body
		r = r2
	} else {
		r = r.WithContext(ctx)
	}
	st.r = r
	scope.SetRequestSource(st)
	defer h.recover(st, scope)
	h.next.ServeHTTP(st, r)
	st.done.Store(true)
	if h.o.report5xx && st.status >= 500 {
		scope.Client().CaptureEvent(ctx, &raven.Event{Level: raven.LevelError,
			Message: &raven.LogEntry{Formatted: r.Method + " " + r.URL.Path + " answered " + http.StatusText(st.status)}})
	}
}

func (h *handler) recover(st *state, scope *raven.Scope) {
	v := recover()
	if v == nil {
		return
	}
	if v == http.ErrAbortHandler { //nolint:errorlint // the sentinel is panicked as is
		panic(v)
	}
	client := scope.Client()
	client.CapturePanic(st.r.Context(), v)
	if h.o.repanic {
		ctx, cancel := context.WithTimeout(context.Background(), h.o.flushTimeout)
		_ = client.Flush(ctx)
		cancel()
		panic(v)
	}
	if !st.wrote {
		st.w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		st.w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(st.w, http.StatusText(http.StatusInternalServerError)+"\n")
	}
}

// SentryTransaction names the request by its route template: the
// ServeMux pattern that matched (set on the request once routed, so it is
// read at capture), or none: never the raw path, which would make a
// transaction name per URL.
func (st *state) SentryTransaction() string {
	r := st.r
	switch {
	case r.Pattern == "":
		return ""
	case strings.Contains(r.Pattern, " "):
		return r.Pattern
	}
	return r.Method + " " + r.Pattern
}

// SentryHTTPRequest is the request being handled, for EventHint.Request.
func (st *state) SentryHTTPRequest() *http.Request { return st.r }

// SentryClientGone reports whether the client went away while the handler
// ran (see WithReportClientGone).
func (st *state) SentryClientGone() bool {
	return !st.o.reportGone && !st.done.Load() && st.r.Context().Err() != nil
}

// SentryRequest builds the event's request, at capture time only.
func (st *state) SentryRequest() *raven.Request {
	return httpreq.Request(st.r, st.o.pii, st.body)
}

// Header returns the wrapped writer's header map.
func (st *state) Header() http.Header { return st.w.Header() }

// WriteHeader records the status and passes it on.
func (st *state) WriteHeader(code int) {
	if !st.wrote && code >= 200 {
		st.status, st.wrote = code, true
	}
	st.w.WriteHeader(code)
}

// Write records that the response started and passes the bytes on.
func (st *state) Write(b []byte) (int, error) {
	if !st.wrote {
		st.status, st.wrote = http.StatusOK, true
	}
	return st.w.Write(b)
}

// Unwrap gives http.ResponseController the underlying writer.
func (st *state) Unwrap() http.ResponseWriter { return st.w }

// Flush passes on to the underlying writer when it can flush.
func (st *state) Flush() {
	if f, ok := st.w.(http.Flusher); ok {
		if !st.wrote {
			st.status, st.wrote = http.StatusOK, true
		}
		f.Flush()
	}
}

// Hijack passes on to the underlying writer when it can be hijacked.
func (st *state) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if hj, ok := st.w.(http.Hijacker); ok {
		st.wrote = true
		return hj.Hijack()
	}
	return nil, nil, errors.New("ravenhttp: the response writer cannot be hijacked")
}

// ReadFrom lets io.Copy use the underlying writer's fast path.
func (st *state) ReadFrom(src io.Reader) (int64, error) {
	if !st.wrote {
		st.status, st.wrote = http.StatusOK, true
	}
	if rf, ok := st.w.(io.ReaderFrom); ok {
		return rf.ReadFrom(src)
	}
	return io.Copy(writerOnly{st.w}, src)
}

type writerOnly struct{ io.Writer }
