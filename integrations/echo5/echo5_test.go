package ravenecho5_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

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
	status, body := inttest.Do(t, nil, http.MethodGet, inttest.Serve(t, e)+inttest.PanicPath, nil, inttest.PanicHeaders)
	assert.Equal(t, http.StatusInternalServerError, status)
	assert.NotContains(t, body, "boom", "the panic is not shown to the client")
	var he *echo.HTTPError
	require.ErrorAs(t, handled, &he, "echo's error handler answered")
	assert.Equal(t, http.StatusInternalServerError, he.Code)
	assert.ErrorContains(t, he.Unwrap(), "boom in handler")
	inttest.CheckPanicEvent(t, srv, c, "github.com/ravenkit/raven/integrations/echo5")
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

func TestStatusOf(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want int
	}{
		{"plain", inttest.ErrDB, 500},
		{"http error", echo.ErrNotFound, 404},
		{"wrapped", fmt.Errorf("x: %w", echo.ErrForbidden), 403},
		{"outer status coder wins", echo.ErrInternalServerError.Wrap(echo.ErrBadRequest), 500},
		{"wrapping a plain error", echo.ErrBadGateway.Wrap(inttest.ErrDB), 502},
		{"status 0 is 500", &echo.HTTPError{}, 500},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { assert.Equal(t, tc.want, ravenecho5.StatusOf(tc.err)) })
	}
}

// TestHTTPSuite runs the tests every net/http based middleware passes.
func TestHTTPSuite(t *testing.T) {
	inttest.RunHTTP(t, inttest.Framework{New: func(t *testing.T, mw inttest.Middleware) inttest.App {
		opts := inttest.Options(mw, ravenecho5.WithClient, ravenecho5.WithRequestBody, ravenecho5.WithSendDefaultPII)
		e := echo.New()
		e.Use(ravenecho5.New(opts...))
		return echoApp{e}
	}})
}

// echoApp routes the suite's handlers; their errors are returned.
type echoApp struct{ *echo.Echo }

func (a echoApp) Handle(method, route string, h inttest.Handler) {
	a.Echo.Add(method, route, func(c *echo.Context) error { return h(c.Response(), c.Request(), c.Param) })
}

// TestEchoSuite runs the tests both echo middlewares pass.
func TestEchoSuite(t *testing.T) {
	inttest.RunEcho(t, inttest.Echo{
		New: func(c *raven.Client, setReport bool, report func(int) bool) inttest.App {
			opts := []ravenecho5.Option{ravenecho5.WithClient(c)}
			if setReport {
				opts = append(opts, ravenecho5.WithReportStatus(report))
			}
			e := echo.New()
			e.Use(ravenecho5.New(opts...))
			return echoApp{e}
		},
		BadGateway:  func(err error) error { return echo.NewHTTPError(http.StatusBadGateway, "upstream").Wrap(err) },
		NotFound:    func(error) error { return echo.ErrNotFound },
		BadRequest:  func(error) error { return echo.NewHTTPError(http.StatusBadRequest, "bad id") },
		Internal404: func(err error) error { return echo.ErrNotFound.Wrap(err) },
		Chained: func(err error) error {
			return echo.NewHTTPError(http.StatusServiceUnavailable, "try later").Wrap(err)
		},
	})
}
