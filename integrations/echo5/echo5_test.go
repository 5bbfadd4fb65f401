package ravenecho5_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/ravenkit/raven"
	ravenecho5 "github.com/ravenkit/raven/integrations/echo5"
	"github.com/ravenkit/raven/integrations/internal/inttest"
	"github.com/ravenkit/raven/raventest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// setup returns a receiver, a client reporting to it, and an echo server
// using the middleware; serve starts it on 127.0.0.1.
func setup(t *testing.T, opts ...ravenecho5.Option) (*raventest.Server, *raven.Client, *echo.Echo) {
	t.Helper()
	srv, c := inttest.NewClient(t)
	e := echo.New()
	e.Use(ravenecho5.New(append([]ravenecho5.Option{ravenecho5.WithClient(c)}, opts...)...))
	return srv, c, e
}

func boom(*echo.Context) error { panic("boom in handler") }

func TestPanicReportedAnd500ThroughErrorHandler(t *testing.T) {
	srv, c, e := setup(t)
	var handled error
	def := echo.DefaultHTTPErrorHandler(false)
	e.HTTPErrorHandler = func(c *echo.Context, err error) {
		handled = err
		def(c, err)
	}
	e.GET("/orders/:id", boom)
	status, body := inttest.Do(t, nil, http.MethodGet, inttest.Serve(t, e)+"/orders/7?page=2&token=abc", nil,
		map[string]string{"Authorization": "Bearer xyz", "X-Request-Id": "r1", "Cookie": "session=s3cr3t"})
	assert.Equal(t, http.StatusInternalServerError, status)
	assert.NotContains(t, body, "boom", "the panic is not shown to the client")
	var he *echo.HTTPError
	require.ErrorAs(t, handled, &he, "echo's error handler answered")
	assert.Equal(t, http.StatusInternalServerError, he.Code)
	assert.ErrorContains(t, he.Unwrap(), "boom in handler")
	inttest.Close(t, c)
	evs := srv.Events()
	require.Len(t, evs, 1)
	ev := evs[0]
	exc := inttest.LastException(t, ev)
	assert.Equal(t, "boom in handler", exc.Value)
	assert.Equal(t, "panic", exc.Mechanism.Type)
	require.NotNil(t, exc.Mechanism.Handled)
	assert.False(t, *exc.Mechanism.Handled)
	frames := exc.Stacktrace.Frames
	require.NotEmpty(t, frames)
	assert.Equal(t, "boom", frames[len(frames)-1].Function)
	for _, f := range frames {
		assert.NotEqual(t, "github.com/ravenkit/raven/integrations/echo5", f.Module, "middleware frames are dropped")
	}
	assert.Equal(t, "GET /orders/:id", ev.Transaction, "the route template, not the path")
	require.NotNil(t, ev.Request)
	assert.Equal(t, "GET", ev.Request.Method)
	assert.True(t, strings.HasSuffix(ev.Request.URL, "/orders/7"), ev.Request.URL)
	assert.Equal(t, "page=2&token=%5BFiltered%5D", ev.Request.QueryString)
	assert.Equal(t, raven.Filtered, ev.Request.Headers["Authorization"])
	assert.Equal(t, "r1", ev.Request.Headers["X-Request-Id"])
	assert.NotContains(t, ev.Request.Headers, "Cookie", "cookies need WithSendDefaultPII")
	inttest.CheckSchema(t, srv)
}

func TestPanicAfterWriteKeepsResponse(t *testing.T) {
	srv, c, e := setup(t)
	e.GET("/late", func(c *echo.Context) error {
		_ = c.String(http.StatusAccepted, "partial")
		panic("late panic")
	})
	status, body := inttest.Do(t, nil, http.MethodGet, inttest.Serve(t, e)+"/late", nil, nil)
	assert.Equal(t, http.StatusAccepted, status, "nothing overwrites a written response")
	assert.Equal(t, "partial", body)
	inttest.Close(t, c)
	require.Len(t, srv.Events(), 1)
}

func TestErrAbortHandlerPassesThrough(t *testing.T) {
	srv, c, e := setup(t)
	e.GET("/abort", func(*echo.Context) error { panic(http.ErrAbortHandler) })
	resp, err := http.Get(inttest.Serve(t, e) + "/abort")
	if err == nil {
		resp.Body.Close()
	}
	assert.Error(t, err, "the server aborted the connection")
	inttest.Close(t, c)
	assert.Empty(t, srv.Events(), "ErrAbortHandler is not reported")
}

func TestRepanicReachesOuterRecovery(t *testing.T) {
	srv := raventest.NewServer(t)
	c, err := raven.New(raven.WithDSN(srv.DSN()))
	require.NoError(t, err)
	var outer any
	e := echo.New()
	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc { // an outer recovery
		return func(c *echo.Context) (err error) {
			defer func() {
				if v := recover(); v != nil {
					outer = v
					err = echo.ErrServiceUnavailable
				}
			}()
			return next(c)
		}
	})
	e.Use(ravenecho5.New(ravenecho5.WithClient(c), ravenecho5.WithRepanic()))
	e.GET("/", boom)
	status, _ := inttest.Do(t, nil, http.MethodGet, inttest.Serve(t, e)+"/", nil, nil)
	assert.Equal(t, http.StatusServiceUnavailable, status, "the outer recovery answered")
	assert.Equal(t, "boom in handler", outer)
	assert.Len(t, srv.Events(), 1, "delivered before panicking again")
	inttest.Close(t, c)
	inttest.CheckSchema(t, srv)
}

var errDB = errors.New("database down")

func TestReturnedErrorsByStatus(t *testing.T) {
	routes := map[string]echo.HandlerFunc{
		"/plain":         func(*echo.Context) error { return fmt.Errorf("load order: %w", errDB) },
		"/http500":       func(*echo.Context) error { return echo.NewHTTPError(http.StatusBadGateway, "upstream").Wrap(errDB) },
		"/http404":       func(*echo.Context) error { return echo.ErrNotFound },
		"/http400":       func(*echo.Context) error { return echo.NewHTTPError(http.StatusBadRequest, "bad id") },
		"/wrapped404":    func(*echo.Context) error { return fmt.Errorf("lookup: %w", echo.ErrNotFound) },
		"/internal404":   func(*echo.Context) error { return echo.ErrNotFound.Wrap(errDB) },
		"/ok":            func(c *echo.Context) error { return c.NoContent(http.StatusOK) },
		"/written-error": func(c *echo.Context) error { _ = c.NoContent(http.StatusOK); return errDB },
	}
	cases := []struct {
		name string
		opts []ravenecho5.Option
		want []string // paths whose errors are reported
	}{
		{"default: 5xx and plain errors", nil, []string{"/plain", "/http500", "/written-error"}},
		{"every status", []ravenecho5.Option{ravenecho5.WithReportStatus(func(int) bool { return true })},
			[]string{"/plain", "/http500", "/http404", "/http400", "/wrapped404", "/internal404", "/written-error"}},
		{"nil restores the default", []ravenecho5.Option{ravenecho5.WithReportStatus(nil)}, []string{"/plain", "/http500", "/written-error"}},
		{"4xx only", []ravenecho5.Option{ravenecho5.WithReportStatus(func(s int) bool { return s >= 400 && s < 500 })},
			[]string{"/http404", "/http400", "/wrapped404", "/internal404"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, c, e := setup(t, tc.opts...)
			for p, h := range routes {
				e.GET("/r"+p, h)
			}
			url := inttest.Serve(t, e)
			status, _ := inttest.Do(t, nil, http.MethodGet, url+"/r/plain", nil, nil)
			assert.Equal(t, http.StatusInternalServerError, status, "echo's error handler answers")
			status, _ = inttest.Do(t, nil, http.MethodGet, url+"/r/http500", nil, nil)
			assert.Equal(t, http.StatusBadGateway, status)
			status, _ = inttest.Do(t, nil, http.MethodGet, url+"/r/http404", nil, nil)
			assert.Equal(t, http.StatusNotFound, status)
			for _, p := range []string{"/http400", "/wrapped404", "/internal404", "/ok", "/written-error"} {
				inttest.Do(t, nil, http.MethodGet, url+"/r"+p, nil, nil)
			}
			inttest.Close(t, c)
			var got []string
			for _, ev := range srv.Events() {
				got = append(got, strings.TrimPrefix(ev.Transaction, "GET /r"))
				assert.Equal(t, "generic", inttest.LastException(t, ev).Mechanism.Type)
			}
			assert.ElementsMatch(t, tc.want, got)
			inttest.CheckSchema(t, srv)
		})
	}
}

func TestReturnedErrorKeepsItsChain(t *testing.T) {
	srv, c, e := setup(t)
	e.GET("/orders/:id", func(c *echo.Context) error {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "try later").Wrap(fmt.Errorf("load order: %w", errDB))
	})
	status, _ := inttest.Do(t, nil, http.MethodGet, inttest.Serve(t, e)+"/orders/1", nil, nil)
	assert.Equal(t, http.StatusServiceUnavailable, status)
	inttest.Close(t, c)
	require.Len(t, srv.Events(), 1)
	var values []string
	for _, v := range srv.Events()[0].Exception.Values {
		values = append(values, v.Value)
	}
	assert.Contains(t, values, "database down")
	assert.Contains(t, values, "load order: database down")
}

func TestUnmatchedRouteIsNotTheRawPath(t *testing.T) {
	srv, c, e := setup(t, ravenecho5.WithReportStatus(func(int) bool { return true }))
	e.GET("/known", func(c *echo.Context) error { return c.NoContent(http.StatusOK) })
	status, _ := inttest.Do(t, nil, http.MethodGet, inttest.Serve(t, e)+"/users/12345/secret-page", nil, nil)
	assert.Equal(t, http.StatusNotFound, status)
	inttest.Close(t, c)
	require.Len(t, srv.Events(), 1)
	assert.Equal(t, "GET "+ravenecho5.UnmatchedRoute, srv.Events()[0].Transaction)
	inttest.CheckSchema(t, srv)
}

func TestScopeReachableEveryWay(t *testing.T) {
	srv, c, e := setup(t)
	e.GET("/s", func(ec *echo.Context) error {
		s := ravenecho5.Scope(ec)
		assert.NotSame(t, c.Scope(), s, "a scope of its own")
		assert.Same(t, s, raven.ScopeFromContext(ec.Request().Context()))
		s.SetTag("seen", "yes")
		raven.CaptureExceptionContext(ec.Request().Context(), errors.New("through the request"))
		return nil
	})
	inttest.Do(t, nil, http.MethodGet, inttest.Serve(t, e)+"/s", nil, nil)
	inttest.Close(t, c)
	require.Len(t, srv.Events(), 1)
	assert.Equal(t, "GET /s", srv.Events()[0].Transaction)
	assert.Equal(t, "yes", srv.Events()[0].Tags["seen"])
	assert.Empty(t, c.Scope().Tags(), "nothing reached the root scope")
}

func TestConcurrentRequestsNoCrossTalk(t *testing.T) {
	srv, c, e := setup(t)
	e.GET("/work/:how", func(ec *echo.Context) error {
		id := ec.QueryParam("id")
		inttest.Mark(ec.Request().Context(), ravenecho5.Scope(ec), "req", id)
		if ec.Param("how") == "capture" {
			raven.CaptureExceptionContext(ec.Request().Context(), inttest.Failure(id))
			return ec.NoContent(http.StatusOK)
		}
		return inttest.Failure(id)
	})
	url := inttest.Serve(t, e)
	const n = 100
	inttest.Concurrently(n, func(i int) {
		how := "return"
		if i%2 == 0 {
			how = "capture"
		}
		inttest.Get(t, nil, fmt.Sprintf("%s/work/%s?id=%d", url, how, i))
	})
	inttest.Close(t, c)
	evs := srv.Events()
	inttest.CheckIsolated(t, c, evs, n, "req", func(ev *raven.Event, _ string) {
		assert.Equal(t, "GET /work/:how", ev.Transaction)
	})
	inttest.CheckSchema(t, srv)
}

func TestTraceHeadersContinued(t *testing.T) {
	srv, c, e := setup(t)
	e.GET("/", func(ec *echo.Context) error {
		raven.CaptureMessageContext(ec.Request().Context(), "traced")
		return nil
	})
	url := inttest.Serve(t, e)
	trace := strings.Repeat("a", 32)
	inttest.Do(t, nil, http.MethodGet, url+"/", nil, map[string]string{"sentry-trace": trace + "-" + strings.Repeat("b", 16) + "-1"})
	inttest.Do(t, nil, http.MethodGet, url+"/", nil, map[string]string{"traceparent": "00-" + strings.Repeat("c", 32) + "-" + strings.Repeat("d", 16) + "-01"})
	inttest.Close(t, c)
	ids := map[any]bool{}
	for _, ev := range srv.Events() {
		ids[ev.Contexts["trace"]["trace_id"]] = true
	}
	assert.True(t, ids[trace])
	assert.True(t, ids[strings.Repeat("c", 32)])
	inttest.CheckSchema(t, srv)
}

func TestRequestBodyOnlyWhenAsked(t *testing.T) {
	handler := func(ec *echo.Context) error {
		b, _ := io.ReadAll(ec.Request().Body)
		return fmt.Errorf("bad order of %d bytes", len(b))
	}
	t.Run("asked", func(t *testing.T) {
		srv, c, e := setup(t, ravenecho5.WithRequestBody(10))
		e.POST("/orders", handler)
		inttest.Do(t, nil, http.MethodPost, inttest.Serve(t, e)+"/orders", strings.NewReader(strings.Repeat("a", 100)), nil)
		inttest.Close(t, c)
		require.Len(t, srv.Events(), 1)
		assert.Equal(t, "bad order of 100 bytes", inttest.LastException(t, srv.Events()[0]).Value, "the handler reads the whole body")
		assert.Equal(t, strings.Repeat("a", 10)+"…[truncated]", srv.Events()[0].Request.Data)
		inttest.CheckSchema(t, srv)
	})
	t.Run("default", func(t *testing.T) {
		srv, c, e := setup(t)
		e.POST("/orders", handler)
		inttest.Do(t, nil, http.MethodPost, inttest.Serve(t, e)+"/orders", strings.NewReader(strings.Repeat("a", 100)), nil)
		inttest.Close(t, c)
		require.Len(t, srv.Events(), 1)
		assert.Empty(t, srv.Events()[0].Request.Data)
	})
}

func TestNoSecretInAnyDeliveredByte(t *testing.T) {
	secret := func(name string) string { return name + "-" + string(raven.NewEventID())[:12] }
	hdr, query, cookie, form := secret("hdr"), secret("query"), secret("cookie"), secret("form")
	srv, c, e := setup(t, ravenecho5.WithRequestBody(0), ravenecho5.WithSendDefaultPII())
	e.POST("/login", func(ec *echo.Context) error {
		_ = ec.Request().ParseForm()
		panic("fail with secrets around")
	})
	req, err := http.NewRequest(http.MethodPost, inttest.Serve(t, e)+"/login?next=%2Fhome&access_token="+query,
		strings.NewReader("user=ann&password="+form))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+hdr)
	req.Header.Set("Cookie", "theme=dark; sessionid="+cookie)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	inttest.Close(t, c)
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
	inttest.CheckSchema(t, srv)
}

func TestDefaultClientAtRequestTime(t *testing.T) {
	srv := raventest.NewServer(t)
	e := echo.New()
	e.Use(ravenecho5.New()) // built before Init: the client is looked up per request
	e.GET("/x", func(*echo.Context) error { return errors.New("late client") })
	url := inttest.Serve(t, e)
	require.NoError(t, raven.Init(raven.WithDSN(srv.DSN())))
	inttest.Do(t, nil, http.MethodGet, url+"/x", nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, raven.Close(ctx))
	raven.SetDefault(nil) // back to a disabled default
	require.Len(t, srv.Events(), 1)
	assert.Equal(t, "GET /x", srv.Events()[0].Transaction)
}

func TestStatusOf(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want int
	}{
		{"plain", errDB, 500},
		{"http error", echo.ErrNotFound, 404},
		{"wrapped", fmt.Errorf("x: %w", echo.ErrForbidden), 403},
		{"outer status coder wins", echo.ErrInternalServerError.Wrap(echo.ErrBadRequest), 500},
		{"wrapping a plain error", echo.ErrBadGateway.Wrap(errDB), 502},
		{"status 0 is 500", &echo.HTTPError{}, 500},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { assert.Equal(t, tc.want, ravenecho5.StatusOf(tc.err)) })
	}
}
