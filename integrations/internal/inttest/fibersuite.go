package inttest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/integrations/internal/fibermw"
	"github.com/ravenkit/raven/raventest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Fiber is a Fiber version and its raven middleware (ravenfiber,
// ravenfiber3), for the tests RunFiber runs on both; C is the version's
// handler context.
type Fiber[C any] struct {
	// NewApp returns an app without the middleware.
	NewApp func() FiberApp[C]
	// Middleware returns the middleware configured by opts.
	Middleware func(opts ...fibermw.Option) func(C) error
	// Scope is the package's Scope; LocalsKey its LocalsKey.
	Scope     func(C) *raven.Scope
	LocalsKey string
	// DefaultErrorFilter is the package's DefaultErrorFilter.
	DefaultErrorFilter func(error) bool

	// Params returns a route parameter (valid while the handler runs).
	Params func(c C, name string) string
	// Locals returns c.Locals(key).
	Locals func(c C, key string) any
	// Context is the context handlers hand on (v2 c.UserContext(), v3
	// c.Context()); Other the other context the scope is reached through
	// (v2 the fasthttp RequestCtx, v3 c itself).
	Context, Other func(C) context.Context
	// Panic panics writing to a nil map, from the package's tests: frames
	// of this package, under integrations/, are the SDK's, left out of
	// stack traces.
	Panic func()
	// Send answers with status and body; Next calls the next handler.
	Send func(c C, status int, body string) error
	Next func(C) error
	// NewError is fiber.NewError; NotFound, BadRequest and Internal are
	// fiber.ErrNotFound, fiber.ErrBadRequest, fiber.ErrInternalServerError.
	NewError                       func(code int, msg ...string) error
	NotFound, BadRequest, Internal error
}

// FiberApp is what the tests do with a Fiber app.
type FiberApp[C any] interface {
	Get(path string, h func(C) error)
	Post(path string, h func(C) error)
	Use(h func(C) error)
	// GroupPost routes POST prefix+path through a group of routes.
	GroupPost(prefix, path string, h func(C) error)
	// Listener serves on ln until Shutdown.
	Listener(ln net.Listener) error
	Shutdown() error
	// Test sends req through the app in process.
	Test(req *http.Request) (*http.Response, error)
}

// RunFiber runs the tests both Fiber middlewares pass.
func RunFiber[C any](t *testing.T, f Fiber[C]) {
	s := fiberSuite[C]{f}
	t.Run("ReturnedErrors", s.returnedErrors)
	t.Run("ErrorFilter", s.errorFilter)
	t.Run("Panic", s.panicked)
	t.Run("Repanic", s.repanic)
	t.Run("CapturedInHandlerNamedByRoute", s.namedByRoute)
	t.Run("RequestBodyOnlyWhenAsked", s.requestBody)
	t.Run("SendDefaultPII", s.sendDefaultPII)
	t.Run("CaptureAfterHandlerReturned", s.afterReturn)
	t.Run("ConcurrentRequestsNoCrossTalk", s.concurrent)
	t.Run("TraceHeaders", s.traceHeaders)
	t.Run("ScopeAccessors", s.scopeAccessors)
	t.Run("DefaultErrorFilter", s.defaultErrorFilter)
}

type fiberSuite[C any] struct{ f Fiber[C] }

var errDB = errors.New("database is down")

// fiberFixture is an app with the middleware first, served on 127.0.0.1.
type fiberFixture struct {
	srv *raventest.Server
	c   *raven.Client
	url string
	hc  *http.Client
}

// serve runs an app, with the middleware first, on a real listener on
// 127.0.0.1; routes registers the app's routes.
func (s fiberSuite[C]) serve(t *testing.T, routes func(app FiberApp[C]), opts ...fibermw.Option) *fiberFixture {
	t.Helper()
	srv, c := NewClient(t)
	app := s.f.NewApp()
	app.Use(s.f.Middleware(append([]fibermw.Option{fibermw.WithClient(c)}, opts...)...))
	routes(app)
	url, hc := Listen(t, app.Listener, app.Shutdown)
	return &fiberFixture{srv: srv, c: c, url: url, hc: hc}
}

func (f *fiberFixture) do(t *testing.T, method, path, body string, hdr map[string]string) (int, string) {
	t.Helper()
	return Do(t, f.hc, method, f.url+path, strings.NewReader(body), hdr)
}

// events closes the client (delivering everything) and returns the events,
// each checked against the event schema.
func (f *fiberFixture) events(t *testing.T) []*raven.Event { return Events(t, f.srv, f.c) }

func last(ev *raven.Event) raven.Exception { return ev.Exception.Values[len(ev.Exception.Values)-1] }

// testRequest sends a GET of path through app in process.
func testRequest[C any](t *testing.T, app FiberApp[C], path string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://example.com"+path, nil)
	require.NoError(t, err)
	resp, err := app.Test(req)
	require.NoError(t, err)
	return resp
}

func (s fiberSuite[C]) returnedErrors(t *testing.T) {
	f := s.serve(t, func(app FiberApp[C]) {
		app.Get("/orders/:id", func(c C) error { return fmt.Errorf("order %s: %w", s.f.Params(c, "id"), errDB) })
		app.Get("/missing/:id", func(c C) error { return s.f.NotFound })
		app.Get("/teapot", func(c C) error { return s.f.NewError(http.StatusServiceUnavailable, "try later") })
		app.Get("/wrapped", func(c C) error {
			return fmt.Errorf("upstream: %w", s.f.NewError(http.StatusBadRequest, "bad"))
		})
	})
	status, body := f.do(t, http.MethodGet, "/orders/7?page=2&token=abc", "", map[string]string{"Authorization": "Bearer xyz"})
	assert.Equal(t, http.StatusInternalServerError, status, "the ErrorHandler still answers")
	assert.Equal(t, "order 7: database is down", body)
	status, _ = f.do(t, http.MethodGet, "/missing/1", "", nil)
	assert.Equal(t, http.StatusNotFound, status)
	status, _ = f.do(t, http.MethodGet, "/nowhere", "", nil)
	assert.Equal(t, http.StatusNotFound, status)
	status, _ = f.do(t, http.MethodGet, "/teapot", "", nil)
	assert.Equal(t, http.StatusServiceUnavailable, status)
	status, _ = f.do(t, http.MethodGet, "/wrapped", "", nil)
	assert.Equal(t, http.StatusBadRequest, status)
	evs := f.events(t)
	require.Len(t, evs, 2, "plain errors and 5xx fiber errors only")
	byTx := map[string]*raven.Event{}
	for _, ev := range evs {
		byTx[ev.Transaction] = ev
	}
	ev := byTx["GET /orders/:id"]
	require.NotNil(t, ev, "transactions: %v", byTx)
	assert.Equal(t, "order 7: database is down", last(ev).Value)
	require.NotNil(t, ev.Request)
	assert.Equal(t, "GET", ev.Request.Method)
	assert.Equal(t, f.url+"/orders/7", ev.Request.URL)
	assert.Equal(t, "page=2&token=%5BFiltered%5D", ev.Request.QueryString)
	assert.Equal(t, raven.Filtered, ev.Request.Headers["Authorization"])
	require.NotNil(t, byTx["GET /teapot"])
	assert.Equal(t, "try later", last(byTx["GET /teapot"]).Value)
}

func (s fiberSuite[C]) errorFilter(t *testing.T) {
	f := s.serve(t, func(app FiberApp[C]) {
		app.Get("/bad", func(c C) error { return s.f.BadRequest })
		app.Get("/canceled", func(c C) error { return context.Canceled })
	}, fibermw.WithErrorFilter(func(err error) bool { return !errors.Is(err, context.Canceled) }))
	f.do(t, http.MethodGet, "/bad", "", nil)
	f.do(t, http.MethodGet, "/canceled", "", nil)
	evs := f.events(t)
	require.Len(t, evs, 1)
	assert.Equal(t, "GET /bad", evs[0].Transaction)
	assert.Equal(t, "Bad Request", last(evs[0]).Value)

	f = s.serve(t, func(app FiberApp[C]) {
		app.Get("/x", func(C) error { return errDB })
	}, fibermw.WithErrorFilter(nil))
	f.do(t, http.MethodGet, "/x", "", nil)
	assert.Empty(t, f.events(t), "nil reports no returned error")
}

func (s fiberSuite[C]) panicked(t *testing.T) {
	f := s.serve(t, func(app FiberApp[C]) {
		app.GroupPost("/api", "/orders/:id/pay", func(c C) error {
			s.f.Scope(c).SetTag("order", strings.Clone(s.f.Params(c, "id")))
			s.f.Panic()
			return nil
		})
	})
	status, body := f.do(t, http.MethodPost, "/api/orders/9/pay", "", nil)
	assert.Equal(t, http.StatusInternalServerError, status)
	assert.Equal(t, "Internal Server Error", body)
	evs := f.events(t)
	require.Len(t, evs, 1)
	ev := evs[0]
	assert.Equal(t, "POST /api/orders/:id/pay", ev.Transaction)
	assert.Equal(t, "9", ev.Tags["order"])
	exc := last(ev)
	assert.Equal(t, "panic", exc.Mechanism.Type)
	require.NotNil(t, exc.Mechanism.Handled)
	assert.False(t, *exc.Mechanism.Handled)
	assert.Contains(t, exc.Value, "nil map")
	var inTest bool
	for _, fr := range exc.Stacktrace.Frames {
		inTest = inTest || strings.Contains(fr.Function, "TestFiberSuite")
	}
	assert.True(t, inTest, "the stack shows where the panic happened")
	require.NotNil(t, ev.Request)
	assert.Equal(t, "POST", ev.Request.Method)
}

func (s fiberSuite[C]) repanic(t *testing.T) {
	srv, c := NewClient(t)
	app := s.f.NewApp()
	// the app's own recovery, outside the middleware, sees the panic after
	// the middleware reported it
	app.Use(func(c C) (err error) {
		defer func() {
			if v := recover(); v != nil {
				err = s.f.Send(c, 599, fmt.Sprint("recovered ", v))
			}
		}()
		return s.f.Next(c)
	})
	app.Use(s.f.Middleware(fibermw.WithClient(c), fibermw.WithRepanic()))
	app.Get("/", func(c C) error { panic("boom") })
	resp := testRequest(t, app, "/")
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, 599, resp.StatusCode)
	assert.Equal(t, "recovered boom", string(body))
	Close(t, c)
	require.Len(t, srv.Events(), 1)
	assert.Equal(t, "GET /", srv.Events()[0].Transaction)
}

func (s fiberSuite[C]) namedByRoute(t *testing.T) {
	f := s.serve(t, func(app FiberApp[C]) {
		app.Use(func(c C) error {
			// a middleware's own route never names the transaction
			raven.AddBreadcrumb(s.f.Context(c), raven.Breadcrumb{Message: "in middleware"})
			return s.f.Next(c)
		})
		app.Get("/users/:name", func(c C) error {
			raven.CaptureMessageContext(s.f.Context(c), "hello "+s.f.Params(c, "name")) // concatenation copies
			raven.CaptureExceptionContext(s.f.Other(c), errors.New("through the other context"))
			return s.f.Send(c, http.StatusOK, "ok")
		})
	})
	f.do(t, http.MethodGet, "/users/ann", "", nil)
	evs := f.events(t)
	require.Len(t, evs, 2)
	for _, ev := range evs {
		assert.Equal(t, "GET /users/:name", ev.Transaction)
		require.NotNil(t, ev.Request)
		assert.Equal(t, f.url+"/users/ann", ev.Request.URL)
		require.Len(t, ev.Breadcrumbs.Values, 1)
	}
}

func (s fiberSuite[C]) requestBody(t *testing.T) {
	routes := func(app FiberApp[C]) {
		app.Post("/orders", func(C) error { return errDB })
	}
	body := strings.Repeat("a", 100)
	f := s.serve(t, routes, fibermw.WithRequestBody(10))
	f.do(t, http.MethodPost, "/orders", body, map[string]string{"Content-Type": "text/plain"})
	evs := f.events(t)
	require.Len(t, evs, 1)
	assert.Equal(t, strings.Repeat("a", 10)+"…[truncated]", evs[0].Request.Data)

	f = s.serve(t, routes)
	f.do(t, http.MethodPost, "/orders", body, map[string]string{"Content-Type": "text/plain"})
	evs = f.events(t)
	require.Len(t, evs, 1)
	assert.Nil(t, evs[0].Request.Data)
}

func (s fiberSuite[C]) sendDefaultPII(t *testing.T) {
	routes := func(app FiberApp[C]) { app.Get("/", func(C) error { return errDB }) }
	hdr := map[string]string{"Cookie": "theme=dark; sessionid=s3cr3t"}
	f := s.serve(t, routes)
	f.do(t, http.MethodGet, "/", "", hdr)
	evs := f.events(t)
	require.Len(t, evs, 1)
	assert.Empty(t, evs[0].Request.Cookies)
	assert.NotContains(t, evs[0].Request.Headers, "Cookie")
	assert.Empty(t, evs[0].Request.Env)

	f = s.serve(t, routes, fibermw.WithSendDefaultPII())
	f.do(t, http.MethodGet, "/", "", hdr)
	evs = f.events(t)
	require.Len(t, evs, 1)
	assert.Equal(t, "dark", evs[0].Request.Cookies["theme"])
	assert.NotEqual(t, "s3cr3t", evs[0].Request.Cookies["sessionid"])
	assert.Equal(t, "127.0.0.1", evs[0].Request.Env["REMOTE_ADDR"])
}

func (s fiberSuite[C]) afterReturn(t *testing.T) {
	var wg sync.WaitGroup
	release := make(chan struct{})
	f := s.serve(t, func(app FiberApp[C]) {
		app.Get("/r/:n", func(c C) error {
			ctx := s.f.Context(c)
			s.f.Scope(c).SetTag("n", strings.Clone(s.f.Params(c, "n")))
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-release
				raven.CaptureMessageContext(ctx, "late")
			}()
			return nil
		})
		app.Get("/other", func(c C) error { return s.f.Send(c, http.StatusOK, "ok") })
	})
	for i := 0; i < 20; i++ {
		f.do(t, http.MethodGet, fmt.Sprintf("/r/%d", i), "", nil)
	}
	var hammer sync.WaitGroup
	for i := 0; i < 4; i++ {
		hammer.Add(1)
		go func() {
			defer hammer.Done()
			for j := 0; j < 20; j++ {
				f.do(t, http.MethodGet, "/other", "", nil)
			}
		}()
	}
	close(release)
	wg.Wait()
	hammer.Wait()
	evs := f.events(t)
	require.Len(t, evs, 20)
	for _, ev := range evs {
		assert.Nil(t, ev.Request, "no request data after the handler returned")
		assert.NotEmpty(t, ev.Tags["n"], "the scope is kept")
		assert.Equal(t, "GET /r/:n", ev.Transaction, "named when the handler looked the scope up")
	}
}

func (s fiberSuite[C]) concurrent(t *testing.T) {
	f := s.serve(t, func(app FiberApp[C]) {
		app.Get("/items/:id", func(c C) error {
			id := strings.Clone(s.f.Params(c, "id")) // fiber's strings live as long as the request
			ctx := s.f.Context(c)
			Mark(ctx, raven.ScopeFromContext(ctx), "req", id)
			if id[len(id)-1]%2 == 0 {
				return Failure(id)
			}
			raven.CaptureExceptionContext(ctx, Failure(id))
			return nil
		})
	})
	Concurrently(100, func(i int) {
		Get(t, f.hc, fmt.Sprintf("%s/items/%d", f.url, i))
	})
	evs := f.events(t)
	CheckIsolated(t, f.c, evs, 100, "req", func(ev *raven.Event, id string) {
		assert.Equal(t, f.url+"/items/"+id, ev.Request.URL)
		assert.Equal(t, "GET /items/:id", ev.Transaction)
	})
}

func (s fiberSuite[C]) traceHeaders(t *testing.T) {
	f := s.serve(t, func(app FiberApp[C]) {
		app.Get("/", func(C) error { return errDB })
	})
	for _, hdr := range TraceHeaders {
		f.do(t, http.MethodGet, "/", "", hdr)
	}
	evs := f.events(t)
	require.Len(t, evs, 2)
	CheckTraces(t, evs)
}

func (s fiberSuite[C]) scopeAccessors(t *testing.T) {
	f := s.serve(t, func(app FiberApp[C]) {
		app.Get("/", func(c C) error {
			scope := s.f.Scope(c)
			assert.Same(t, scope, s.f.Locals(c, s.f.LocalsKey))
			assert.Same(t, scope, raven.ScopeFromContext(s.f.Context(c)))
			assert.Same(t, scope, raven.ScopeFromContext(s.f.Other(c)))
			return nil
		})
	})
	status, _ := f.do(t, http.MethodGet, "/", "", nil)
	assert.Equal(t, 200, status)
	assert.Empty(t, f.events(t))

	app := s.f.NewApp()
	app.Get("/", func(c C) error {
		assert.Same(t, raven.CurrentClient().Scope(), s.f.Scope(c), "without the middleware")
		return nil
	})
	resp := testRequest(t, app, "/")
	resp.Body.Close()
}

func (s fiberSuite[C]) defaultErrorFilter(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"plain", errDB, true},
		{"404", s.f.NotFound, false},
		{"wrapped 400", fmt.Errorf("x: %w", s.f.BadRequest), false},
		{"500", s.f.Internal, true},
		{"503", s.f.NewError(503), true},
	} {
		t.Run(tc.name, func(t *testing.T) { assert.Equal(t, tc.want, s.f.DefaultErrorFilter(tc.err)) })
	}
}
