package inttest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/raventest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Framework is a net/http based framework served through its raven
// middleware, for the tests RunHTTP runs on every such middleware.
type Framework struct {
	// New returns an app that runs the middleware, configured by mw,
	// before its routes.
	New func(t *testing.T, mw Middleware) App
}

// Middleware is what the tests configure the middleware with: the options
// every net/http based middleware has.
type Middleware struct {
	// Client receives the events (WithClient); nil leaves the default
	// client, looked up at each request.
	Client *raven.Client
	// Body, when set, records up to BodyMax bytes of request bodies
	// (WithRequestBody(BodyMax)).
	Body    bool
	BodyMax int
	// PII records the client's address and cookies (WithSendDefaultPII).
	PII bool
}

// Options returns the options mw stands for, made with the middleware
// package's own option functions.
func Options[O any](mw Middleware, client func(*raven.Client) O, body func(max int) O, pii func() O) []O {
	var opts []O
	if mw.Client != nil {
		opts = append(opts, client(mw.Client))
	}
	if mw.Body {
		opts = append(opts, body(mw.BodyMax))
	}
	if mw.PII {
		opts = append(opts, pii())
	}
	return opts
}

// App is a framework's app with the middleware.
type App interface {
	http.Handler
	// Handle routes method and route (":name" marks a parameter) to h.
	Handle(method, route string, h Handler)
}

// Handler is a handler of any framework: w and r as the framework hands
// them to handlers (r's context carries the request's scope), param the
// route's parameters. The error it returns goes where the framework's
// handlers put errors for the middleware to report: returned (echo), or
// recorded (gin's c.Error).
type Handler func(w http.ResponseWriter, r *http.Request, param func(string) string) error

// RunHTTP runs the tests every net/http based middleware passes, against
// f's apps served on 127.0.0.1.
func RunHTTP(t *testing.T, f Framework) {
	s := httpSuite{f}
	t.Run("PanicAfterWriteKeepsResponse", s.panicAfterWrite)
	t.Run("ErrAbortHandlerPassesThrough", s.errAbortHandler)
	t.Run("ConcurrentRequestsNoCrossTalk", s.concurrentRequests)
	t.Run("TraceHeadersContinued", s.traceHeaders)
	t.Run("RequestBodyOnlyWhenAsked", s.requestBody)
	t.Run("NoSecretInAnyDeliveredByte", s.noSecret)
	t.Run("DefaultClientAtRequestTime", s.defaultClient)
}

type httpSuite struct{ f Framework }

// app returns a receiver, a client reporting to it and an app whose
// middleware reports to that client.
func (s httpSuite) app(t *testing.T, mw Middleware) (*raventest.Server, *raven.Client, App) {
	t.Helper()
	srv, c := NewClient(t)
	mw.Client = c
	return srv, c, s.f.New(t, mw)
}

func (s httpSuite) panicAfterWrite(t *testing.T) {
	srv, c, app := s.app(t, Middleware{})
	app.Handle(http.MethodGet, "/late", func(w http.ResponseWriter, _ *http.Request, _ func(string) string) error {
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, "partial")
		panic("late panic")
	})
	status, body := Do(t, nil, http.MethodGet, Serve(t, app)+"/late", nil, nil)
	assert.Equal(t, http.StatusAccepted, status, "nothing overwrites a written response")
	assert.Equal(t, "partial", body)
	Close(t, c)
	require.Len(t, srv.Events(), 1)
}

func (s httpSuite) errAbortHandler(t *testing.T) {
	srv, c, app := s.app(t, Middleware{})
	app.Handle(http.MethodGet, "/abort", func(http.ResponseWriter, *http.Request, func(string) string) error {
		panic(http.ErrAbortHandler)
	})
	resp, err := http.Get(Serve(t, app) + "/abort")
	if err == nil {
		resp.Body.Close()
	}
	assert.Error(t, err, "the server aborted the connection")
	Close(t, c)
	assert.Empty(t, srv.Events(), "ErrAbortHandler is not reported")
}

// concurrentRequests: half the requests capture their failure themselves,
// half hand it to the framework for the middleware to report.
func (s httpSuite) concurrentRequests(t *testing.T) {
	srv, c, app := s.app(t, Middleware{})
	app.Handle(http.MethodGet, "/work/:how", func(_ http.ResponseWriter, r *http.Request, param func(string) string) error {
		id := r.URL.Query().Get("id")
		Mark(r.Context(), raven.ScopeFromContext(r.Context()), "req", id)
		if param("how") == "capture" {
			raven.CaptureExceptionContext(r.Context(), Failure(id))
			return nil
		}
		return Failure(id)
	})
	url := Serve(t, app)
	const n = 100
	Concurrently(n, func(i int) {
		how := "return"
		if i%2 == 0 {
			how = "capture"
		}
		Get(t, nil, fmt.Sprintf("%s/work/%s?id=%d", url, how, i))
	})
	Close(t, c)
	CheckIsolated(t, c, srv.Events(), n, "req", func(ev *raven.Event, _ string) {
		assert.Equal(t, "GET /work/:how", ev.Transaction)
	})
	CheckSchema(t, srv)
}

func (s httpSuite) traceHeaders(t *testing.T) {
	srv, c, app := s.app(t, Middleware{})
	app.Handle(http.MethodGet, "/", func(_ http.ResponseWriter, r *http.Request, _ func(string) string) error {
		raven.CaptureMessageContext(r.Context(), "traced")
		return nil
	})
	url := Serve(t, app)
	for _, hdr := range TraceHeaders {
		Do(t, nil, http.MethodGet, url+"/", nil, hdr)
	}
	Close(t, c)
	CheckTraces(t, srv.Events())
	CheckSchema(t, srv)
}

func (s httpSuite) requestBody(t *testing.T) {
	handler := func(_ http.ResponseWriter, r *http.Request, _ func(string) string) error {
		b, _ := io.ReadAll(r.Body)
		return fmt.Errorf("bad order of %d bytes", len(b))
	}
	t.Run("asked", func(t *testing.T) {
		srv, c, app := s.app(t, Middleware{Body: true, BodyMax: 10})
		app.Handle(http.MethodPost, "/orders", handler)
		Do(t, nil, http.MethodPost, Serve(t, app)+"/orders", strings.NewReader(strings.Repeat("a", 100)), nil)
		Close(t, c)
		require.Len(t, srv.Events(), 1)
		assert.Equal(t, "bad order of 100 bytes", LastException(t, srv.Events()[0]).Value, "the handler reads the whole body")
		assert.Equal(t, strings.Repeat("a", 10)+"…[truncated]", srv.Events()[0].Request.Data)
		CheckSchema(t, srv)
	})
	t.Run("default", func(t *testing.T) {
		srv, c, app := s.app(t, Middleware{})
		app.Handle(http.MethodPost, "/orders", handler)
		Do(t, nil, http.MethodPost, Serve(t, app)+"/orders", strings.NewReader(strings.Repeat("a", 100)), nil)
		Close(t, c)
		require.Len(t, srv.Events(), 1)
		assert.Empty(t, srv.Events()[0].Request.Data)
	})
}

func (s httpSuite) noSecret(t *testing.T) {
	secret := func(name string) string { return name + "-" + string(raven.NewEventID())[:12] }
	hdr, query, cookie, form := secret("hdr"), secret("query"), secret("cookie"), secret("form")
	srv, c, app := s.app(t, Middleware{Body: true, PII: true})
	app.Handle(http.MethodPost, "/login", func(_ http.ResponseWriter, r *http.Request, _ func(string) string) error {
		_ = r.ParseForm()
		panic("fail with secrets around")
	})
	Do(t, nil, http.MethodPost, Serve(t, app)+"/login?next=%2Fhome&access_token="+query,
		strings.NewReader("user=ann&password="+form), map[string]string{
			"Content-Type":  "application/x-www-form-urlencoded",
			"Authorization": "Bearer " + hdr,
			"Cookie":        "theme=dark; sessionid=" + cookie,
		})
	Close(t, c)
	require.Len(t, srv.Events(), 1)
	for _, b := range srv.Bodies() {
		for _, s := range []string{hdr, query, cookie, form} {
			assert.NotContains(t, string(b), s)
		}
	}
	ev := srv.Events()[0]
	assert.Contains(t, ev.Request.Data, "user=ann")
	assert.Equal(t, "dark", ev.Request.Cookies["theme"])
	assert.Equal(t, "127.0.0.1", ev.Request.Env["REMOTE_ADDR"])
	CheckSchema(t, srv)
}

// defaultClient: a middleware built before raven.Init reports to the
// default client of each request's time.
func (s httpSuite) defaultClient(t *testing.T) {
	srv := raventest.NewServer(t)
	app := s.f.New(t, Middleware{})
	app.Handle(http.MethodGet, "/x", func(http.ResponseWriter, *http.Request, func(string) string) error {
		return errors.New("late client")
	})
	url := Serve(t, app)
	require.NoError(t, raven.Init(raven.WithDSN(srv.DSN())))
	Do(t, nil, http.MethodGet, url+"/x", nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), CloseTimeout)
	defer cancel()
	require.NoError(t, raven.Close(ctx))
	raven.SetDefault(nil) // back to a disabled default
	require.Len(t, srv.Events(), 1)
	assert.Equal(t, "GET /x", srv.Events()[0].Transaction)
}

// PanicPath is the path of the request whose panic CheckPanicEvent
// checks, served on a route "/orders/:id".
const PanicPath = "/orders/7?page=2&token=abc"

// PanicHeaders are the headers of the request CheckPanicEvent checks.
var PanicHeaders = map[string]string{"Authorization": "Bearer xyz", "X-Request-Id": "r1", "Cookie": "session=s3cr3t"}

// CheckPanicEvent closes c and checks the one event srv received: the
// panic "boom in handler" of a handler function boom, served on the route
// "GET /orders/:id" for PanicPath with PanicHeaders, its stack free of the
// middleware's frames (module), its request data scrubbed and without
// cookies.
func CheckPanicEvent(t *testing.T, srv *raventest.Server, c *raven.Client, module string) {
	t.Helper()
	Close(t, c)
	evs := srv.Events()
	require.Len(t, evs, 1)
	ev := evs[0]
	exc := LastException(t, ev)
	assert.Equal(t, "boom in handler", exc.Value)
	assert.Equal(t, "panic", exc.Mechanism.Type)
	require.NotNil(t, exc.Mechanism.Handled)
	assert.False(t, *exc.Mechanism.Handled)
	frames := exc.Stacktrace.Frames
	require.NotEmpty(t, frames)
	assert.Equal(t, "boom", frames[len(frames)-1].Function)
	for _, f := range frames {
		assert.NotEqual(t, module, f.Module, "middleware frames are dropped")
	}
	assert.Equal(t, "GET /orders/:id", ev.Transaction, "the route template, not the path")
	require.NotNil(t, ev.Request)
	assert.Equal(t, "GET", ev.Request.Method)
	assert.True(t, strings.HasSuffix(ev.Request.URL, "/orders/7"), ev.Request.URL)
	assert.Equal(t, "page=2&token=%5BFiltered%5D", ev.Request.QueryString)
	assert.Equal(t, raven.Filtered, ev.Request.Headers["Authorization"])
	assert.Equal(t, "r1", ev.Request.Headers["X-Request-Id"])
	assert.NotContains(t, ev.Request.Headers, "Cookie", "cookies need WithSendDefaultPII")
	assert.Empty(t, ev.Request.Cookies)
	CheckSchema(t, srv)
}
