package ravenfiber3_test

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
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/ravenkit/raven"
	ravenfiber "github.com/ravenkit/raven/integrations/fiber3"
	"github.com/ravenkit/raven/integrations/internal/inttest"
	"github.com/ravenkit/raven/raventest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// fasthttp refreshes its Date header from a goroutine that never ends
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1"))
}

// newApp returns an app whose fasthttp server's worker pool stops soon
// after Shutdown (its cleaner otherwise sleeps 10 s before it sees the stop).
func newApp(cfg ...fiber.Config) *fiber.App {
	app := fiber.New(cfg...)
	app.Server().MaxIdleWorkerDuration = 10 * time.Millisecond
	return app
}

type fixture struct {
	srv *raventest.Server
	c   *raven.Client
	url string
	hc  *http.Client
}

// serve runs app, with the middleware first, on a real listener on
// 127.0.0.1; routes registers the app's routes.
func serve(t *testing.T, routes func(app *fiber.App), opts ...ravenfiber.Option) *fixture {
	t.Helper()
	srv, c := inttest.NewClient(t)
	app := newApp()
	app.Use(ravenfiber.New(append([]ravenfiber.Option{ravenfiber.WithClient(c)}, opts...)...))
	routes(app)
	listen := func(ln net.Listener) error {
		return app.Listener(ln, fiber.ListenConfig{DisableStartupMessage: true})
	}
	url, hc := inttest.Listen(t, listen, app.Shutdown)
	return &fixture{srv: srv, c: c, url: url, hc: hc}
}

func (f *fixture) do(t *testing.T, method, path, body string, hdr map[string]string) (int, string) {
	t.Helper()
	return inttest.Do(t, f.hc, method, f.url+path, strings.NewReader(body), hdr)
}

// events closes the client (delivering everything) and returns the events,
// each checked against the event schema.
func (f *fixture) events(t *testing.T) []*raven.Event { return inttest.Events(t, f.srv, f.c) }

func last(ev *raven.Event) raven.Exception { return ev.Exception.Values[len(ev.Exception.Values)-1] }

var errDB = errors.New("database is down")

func TestReturnedErrors(t *testing.T) {
	f := serve(t, func(app *fiber.App) {
		app.Get("/orders/:id", func(c fiber.Ctx) error { return fmt.Errorf("order %s: %w", c.Params("id"), errDB) })
		app.Get("/missing/:id", func(c fiber.Ctx) error { return fiber.ErrNotFound })
		app.Get("/teapot", func(c fiber.Ctx) error { return fiber.NewError(fiber.StatusServiceUnavailable, "try later") })
		app.Get("/wrapped", func(c fiber.Ctx) error {
			return fmt.Errorf("upstream: %w", fiber.NewError(fiber.StatusBadRequest, "bad"))
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

func TestErrorFilter(t *testing.T) {
	f := serve(t, func(app *fiber.App) {
		app.Get("/bad", func(c fiber.Ctx) error { return fiber.ErrBadRequest })
		app.Get("/canceled", func(c fiber.Ctx) error { return context.Canceled })
	}, ravenfiber.WithErrorFilter(func(err error) bool { return !errors.Is(err, context.Canceled) }))
	f.do(t, http.MethodGet, "/bad", "", nil)
	f.do(t, http.MethodGet, "/canceled", "", nil)
	evs := f.events(t)
	require.Len(t, evs, 1)
	assert.Equal(t, "GET /bad", evs[0].Transaction)
	assert.Equal(t, "Bad Request", last(evs[0]).Value)

	f = serve(t, func(app *fiber.App) {
		app.Get("/x", func(c fiber.Ctx) error { return errDB })
	}, ravenfiber.WithErrorFilter(nil))
	f.do(t, http.MethodGet, "/x", "", nil)
	assert.Empty(t, f.events(t), "nil reports no returned error")
}

func TestPanic(t *testing.T) {
	f := serve(t, func(app *fiber.App) {
		api := app.Group("/api")
		api.Post("/orders/:id/pay", func(c fiber.Ctx) error {
			ravenfiber.Scope(c).SetTag("order", strings.Clone(c.Params("id")))
			var prices map[string]int
			prices["x"]++ //lint:ignore SA5000 the panic under test
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
		inTest = inTest || strings.Contains(fr.Function, "TestPanic")
	}
	assert.True(t, inTest, "the stack shows where the panic happened")
	require.NotNil(t, ev.Request)
	assert.Equal(t, "POST", ev.Request.Method)
}

func TestRepanic(t *testing.T) {
	srv := raventest.NewServer(t)
	c, err := raven.New(raven.WithDSN(srv.DSN()))
	require.NoError(t, err)
	app := newApp()
	// the app's own recovery, outside the middleware, sees the panic after
	// the middleware reported it
	app.Use(func(c fiber.Ctx) (err error) {
		defer func() {
			if v := recover(); v != nil {
				err = c.Status(599).SendString(fmt.Sprint("recovered ", v))
			}
		}()
		return c.Next()
	})
	app.Use(ravenfiber.New(ravenfiber.WithClient(c), ravenfiber.WithRepanic()))
	app.Get("/", func(c fiber.Ctx) error { panic("boom") })
	resp, err := app.Test(httpRequest(t, "/"), fiber.TestConfig{Timeout: 10 * time.Second})
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, 599, resp.StatusCode)
	assert.Equal(t, "recovered boom", string(body))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, c.Close(ctx))
	require.Len(t, srv.Events(), 1)
	assert.Equal(t, "GET /", srv.Events()[0].Transaction)
}

func httpRequest(t *testing.T, path string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://example.com"+path, nil)
	require.NoError(t, err)
	return req
}

func TestCapturedInHandlerNamedByRoute(t *testing.T) {
	f := serve(t, func(app *fiber.App) {
		app.Use(func(c fiber.Ctx) error {
			// a middleware's own route never names the transaction
			raven.AddBreadcrumb(c.Context(), raven.Breadcrumb{Message: "in middleware"})
			return c.Next()
		})
		app.Get("/users/:name", func(c fiber.Ctx) error {
			raven.CaptureMessageContext(c.Context(), "hello "+c.Params("name")) // concatenation copies
			raven.CaptureExceptionContext(c, errors.New("through the fiber ctx"))
			return c.SendString("ok")
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

func TestRequestBodyOnlyWhenAsked(t *testing.T) {
	routes := func(app *fiber.App) {
		app.Post("/orders", func(c fiber.Ctx) error { return errDB })
	}
	body := strings.Repeat("a", 100)
	f := serve(t, routes, ravenfiber.WithRequestBody(10))
	f.do(t, http.MethodPost, "/orders", body, map[string]string{"Content-Type": "text/plain"})
	evs := f.events(t)
	require.Len(t, evs, 1)
	assert.Equal(t, strings.Repeat("a", 10)+"…[truncated]", evs[0].Request.Data)

	f = serve(t, routes)
	f.do(t, http.MethodPost, "/orders", body, map[string]string{"Content-Type": "text/plain"})
	evs = f.events(t)
	require.Len(t, evs, 1)
	assert.Nil(t, evs[0].Request.Data)
}

func TestSendDefaultPII(t *testing.T) {
	routes := func(app *fiber.App) { app.Get("/", func(c fiber.Ctx) error { return errDB }) }
	hdr := map[string]string{"Cookie": "theme=dark; sessionid=s3cr3t"}
	f := serve(t, routes)
	f.do(t, http.MethodGet, "/", "", hdr)
	evs := f.events(t)
	require.Len(t, evs, 1)
	assert.Empty(t, evs[0].Request.Cookies)
	assert.NotContains(t, evs[0].Request.Headers, "Cookie")
	assert.Empty(t, evs[0].Request.Env)

	f = serve(t, routes, ravenfiber.WithSendDefaultPII())
	f.do(t, http.MethodGet, "/", "", hdr)
	evs = f.events(t)
	require.Len(t, evs, 1)
	assert.Equal(t, "dark", evs[0].Request.Cookies["theme"])
	assert.NotEqual(t, "s3cr3t", evs[0].Request.Cookies["sessionid"])
	assert.Equal(t, "127.0.0.1", evs[0].Request.Env["REMOTE_ADDR"])
}

func TestCaptureAfterHandlerReturned(t *testing.T) {
	var wg sync.WaitGroup
	release := make(chan struct{})
	f := serve(t, func(app *fiber.App) {
		app.Get("/r/:n", func(c fiber.Ctx) error {
			ctx := c.Context()
			ravenfiber.Scope(c).SetTag("n", strings.Clone(c.Params("n")))
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-release
				raven.CaptureMessageContext(ctx, "late")
			}()
			return nil
		})
		app.Get("/other", func(c fiber.Ctx) error { return c.SendString("ok") })
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

func TestConcurrentRequestsNoCrossTalk(t *testing.T) {
	f := serve(t, func(app *fiber.App) {
		app.Get("/items/:id", func(c fiber.Ctx) error {
			id := strings.Clone(c.Params("id")) // fiber's strings live as long as the request
			ctx := c.Context()
			inttest.Mark(ctx, raven.ScopeFromContext(ctx), "req", id)
			if id[len(id)-1]%2 == 0 {
				return inttest.Failure(id)
			}
			raven.CaptureExceptionContext(ctx, inttest.Failure(id))
			return nil
		})
	})
	inttest.Concurrently(100, func(i int) {
		inttest.Get(t, f.hc, fmt.Sprintf("%s/items/%d", f.url, i))
	})
	evs := f.events(t)
	inttest.CheckIsolated(t, f.c, evs, 100, "req", func(ev *raven.Event, id string) {
		assert.Equal(t, f.url+"/items/"+id, ev.Request.URL)
		assert.Equal(t, "GET /items/:id", ev.Transaction)
	})
}

func TestTraceHeaders(t *testing.T) {
	f := serve(t, func(app *fiber.App) {
		app.Get("/", func(c fiber.Ctx) error { return errDB })
	})
	trace := strings.Repeat("a", 32)
	f.do(t, http.MethodGet, "/", "", map[string]string{"sentry-trace": trace + "-" + strings.Repeat("b", 16) + "-1"})
	f.do(t, http.MethodGet, "/", "", map[string]string{"traceparent": "00-" + strings.Repeat("c", 32) + "-" + strings.Repeat("d", 16) + "-01"})
	evs := f.events(t)
	require.Len(t, evs, 2)
	ids := map[any]bool{}
	for _, ev := range evs {
		ids[ev.Contexts["trace"]["trace_id"]] = true
	}
	assert.True(t, ids[trace])
	assert.True(t, ids[strings.Repeat("c", 32)])
}

func TestScopeAccessors(t *testing.T) {
	f := serve(t, func(app *fiber.App) {
		app.Get("/", func(c fiber.Ctx) error {
			s := ravenfiber.Scope(c)
			assert.Same(t, s, c.Locals(ravenfiber.LocalsKey))
			assert.Same(t, s, raven.ScopeFromContext(c.Context()))
			assert.Same(t, s, raven.ScopeFromContext(c))
			return nil
		})
	})
	status, _ := f.do(t, http.MethodGet, "/", "", nil)
	assert.Equal(t, 200, status)
	assert.Empty(t, f.events(t))

	app := newApp()
	app.Get("/", func(c fiber.Ctx) error {
		assert.Same(t, raven.CurrentClient().Scope(), ravenfiber.Scope(c), "without the middleware")
		return nil
	})
	resp, err := app.Test(httpRequest(t, "/"), fiber.TestConfig{Timeout: 10 * time.Second})
	require.NoError(t, err)
	resp.Body.Close()
}

func TestDefaultErrorFilter(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"plain", errDB, true},
		{"404", fiber.ErrNotFound, false},
		{"wrapped 400", fmt.Errorf("x: %w", fiber.ErrBadRequest), false},
		{"500", fiber.ErrInternalServerError, true},
		{"503", fiber.NewError(503), true},
	} {
		t.Run(tc.name, func(t *testing.T) { assert.Equal(t, tc.want, ravenfiber.DefaultErrorFilter(tc.err)) })
	}
}
