package ravengin_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/ravenkit/raven"
	ravengin "github.com/ravenkit/raven/integrations/gin"
	"github.com/ravenkit/raven/integrations/internal/inttest"
	"github.com/ravenkit/raven/raventest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	goleak.VerifyTestMain(m)
}

// setup returns a receiver, a client reporting to it, and a gin engine
// using the middleware; serve starts the engine on 127.0.0.1.
func setup(t *testing.T, opts ...ravengin.Option) (*raventest.Server, *raven.Client, *gin.Engine) {
	t.Helper()
	srv, c := inttest.NewClient(t)
	r := gin.New()
	r.Use(ravengin.New(append([]ravengin.Option{ravengin.WithClient(c)}, opts...)...))
	return srv, c, r
}

func boom(*gin.Context) { panic("boom in handler") }

func TestPanicReportedAnd500(t *testing.T) {
	srv, c, r := setup(t)
	r.GET("/orders/:id", boom)
	url := inttest.Serve(t, r)
	status, _ := inttest.Do(t, nil, http.MethodGet, url+inttest.PanicPath, nil, inttest.PanicHeaders)
	assert.Equal(t, http.StatusInternalServerError, status)
	inttest.CheckPanicEvent(t, srv, c, "github.com/ravenkit/raven/integrations/gin")
}

func TestRepanicReachesOuterRecovery(t *testing.T) {
	srv := raventest.NewServer(t)
	c, err := raven.New(raven.WithDSN(srv.DSN()))
	require.NoError(t, err)
	var outer any
	r := gin.New()
	r.Use(gin.CustomRecoveryWithWriter(io.Discard, func(c *gin.Context, v any) {
		outer = v
		c.AbortWithStatus(http.StatusServiceUnavailable)
	}))
	r.Use(ravengin.New(ravengin.WithClient(c), ravengin.WithRepanic()))
	r.GET("/", boom)
	status, _ := inttest.Do(t, nil, http.MethodGet, inttest.Serve(t, r)+"/", nil, nil)
	assert.Equal(t, http.StatusServiceUnavailable, status, "the outer recovery answered")
	assert.Equal(t, "boom in handler", outer)
	assert.Len(t, srv.Events(), 1, "delivered before panicking again")
	inttest.Close(t, c)
	inttest.CheckSchema(t, srv)
}

var (
	errPrivate = errors.New("database down")
	errPublic  = errors.New("order not found")
	errBind    = errors.New("bad json")
)

// recordAll records one error of each kind and answers 500.
func recordAll(c *gin.Context) {
	_ = c.Error(fmt.Errorf("load order: %w", errPrivate))
	_ = c.Error(errPublic).SetType(gin.ErrorTypePublic)
	_ = c.Error(errBind).SetType(gin.ErrorTypeBind)
	c.Status(http.StatusInternalServerError)
}

func TestRecordedErrorsByType(t *testing.T) {
	cases := []struct {
		name string
		opts []ravengin.Option
		want []string
	}{
		{"default: private only", nil, []string{"load order: database down"}},
		{"private and public", []ravengin.Option{ravengin.WithErrorTypes(gin.ErrorTypePrivate | gin.ErrorTypePublic)},
			[]string{"load order: database down", "order not found"}},
		{"any", []ravengin.Option{ravengin.WithErrorTypes(gin.ErrorTypeAny)},
			[]string{"load order: database down", "order not found", "bad json"}},
		{"none", []ravengin.Option{ravengin.WithErrorTypes(0)}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, c, r := setup(t, tc.opts...)
			r.POST("/orders/:id/pay", recordAll)
			status, _ := inttest.Do(t, nil, http.MethodPost, inttest.Serve(t, r)+"/orders/9/pay", nil, nil)
			assert.Equal(t, http.StatusInternalServerError, status)
			inttest.Close(t, c)
			var got []string
			for _, ev := range srv.Events() {
				got = append(got, ev.Exception.Values[len(ev.Exception.Values)-1].Value)
				assert.Equal(t, "POST /orders/:id/pay", ev.Transaction)
				assert.Equal(t, "generic", inttest.LastException(t, ev).Mechanism.Type)
			}
			assert.ElementsMatch(t, tc.want, got)
			if len(tc.want) > 0 {
				inttest.CheckSchema(t, srv)
				ev := srv.Events()[0]
				if len(ev.Exception.Values) == 2 { // the %w chain
					assert.Equal(t, "database down", ev.Exception.Values[0].Value)
				}
			}
		})
	}
}

func TestUnmatchedRouteIsNotTheRawPath(t *testing.T) {
	srv, c, r := setup(t)
	r.NoRoute(func(c *gin.Context) {
		raven.CaptureMessageContext(c.Request.Context(), "no route")
		c.Status(http.StatusNotFound)
	})
	status, _ := inttest.Do(t, nil, http.MethodGet, inttest.Serve(t, r)+"/users/12345/secret-page", nil, nil)
	assert.Equal(t, http.StatusNotFound, status)
	inttest.Close(t, c)
	require.Len(t, srv.Events(), 1)
	assert.Equal(t, "GET "+ravengin.UnmatchedRoute, srv.Events()[0].Transaction)
	inttest.CheckSchema(t, srv)
}

func TestScopeReachableEveryWay(t *testing.T) {
	for _, fallback := range []bool{false, true} {
		t.Run(fmt.Sprintf("ContextWithFallback=%v", fallback), func(t *testing.T) {
			srv, c, r := setup(t)
			r.ContextWithFallback = fallback
			r.GET("/s", func(gc *gin.Context) {
				s := ravengin.Scope(gc)
				assert.NotSame(t, c.Scope(), s, "a scope of its own")
				assert.Same(t, s, raven.ScopeFromContext(gc.Request.Context()))
				assert.Nil(t, gc.Keys, "the middleware allocates no c.Keys map")
				if fallback {
					assert.Same(t, s, raven.ScopeFromContext(gc), "gin.Context falls back to the request's context")
					raven.CaptureExceptionContext(gc, errors.New("through gin.Context"))
				} else {
					raven.CaptureExceptionContext(gc.Request.Context(), errors.New("through the request"))
				}
				s.SetTag("seen", "yes")
			})
			inttest.Do(t, nil, http.MethodGet, inttest.Serve(t, r)+"/s", nil, nil)
			inttest.Close(t, c)
			evs := srv.Events()
			require.Len(t, evs, 1)
			assert.Equal(t, "GET /s", evs[0].Transaction)
			assert.Empty(t, c.Scope().Tags(), "nothing reached the root scope")
		})
	}
}

func TestSuccessfulRequestsReportNothing(t *testing.T) {
	srv, c, r := setup(t)
	r.GET("/ok", func(gc *gin.Context) { gc.String(http.StatusOK, "fine") })
	status, body := inttest.Do(t, nil, http.MethodGet, inttest.Serve(t, r)+"/ok", nil, nil)
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "fine", body)
	inttest.Close(t, c)
	assert.Empty(t, srv.Events())
}

func TestTransactionNamesPastTheCacheBound(t *testing.T) {
	srv, c, r := setup(t)
	r.NoRoute(func(gc *gin.Context) {
		if m := gc.Request.Method; m == "M0" || m == "M1" || m == "M1199" {
			raven.CaptureMessageContext(gc.Request.Context(), "made-up method "+m)
		}
		gc.Status(http.StatusNotFound)
	})
	r.GET("/known/:id", func(gc *gin.Context) { _ = gc.Error(errors.New("known route")) })
	url := inttest.Serve(t, r)
	for i := range 1200 { // more names than the middleware keeps
		status, _ := inttest.Do(t, nil, fmt.Sprintf("M%d", i), url+"/x", nil, nil)
		require.Equal(t, http.StatusNotFound, status)
	}
	inttest.Do(t, nil, http.MethodGet, url+"/known/1", nil, nil)
	inttest.Do(t, nil, http.MethodGet, url+"/known/2", nil, nil)
	inttest.Close(t, c)
	got := map[string]int{}
	for _, ev := range srv.Events() {
		got[ev.Transaction]++
	}
	assert.Equal(t, map[string]int{"M0 <unmatched>": 1, "M1 <unmatched>": 1, "M1199 <unmatched>": 1, "GET /known/:id": 2}, got)
}

// TestHTTPSuite runs the tests every net/http based middleware passes.
func TestHTTPSuite(t *testing.T) {
	inttest.RunHTTP(t, inttest.Framework{New: func(t *testing.T, mw inttest.Middleware) inttest.App {
		opts := inttest.Options(mw, ravengin.WithClient, ravengin.WithRequestBody, ravengin.WithSendDefaultPII)
		r := gin.New()
		r.Use(ravengin.New(opts...))
		return ginApp{r}
	}})
}

// ginApp routes the suite's handlers; their errors go to c.Error.
type ginApp struct{ *gin.Engine }

func (a ginApp) Handle(method, route string, h inttest.Handler) {
	a.Engine.Handle(method, route, func(c *gin.Context) {
		if err := h(c.Writer, c.Request, c.Param); err != nil {
			_ = c.Error(err)
			c.Status(http.StatusInternalServerError)
		}
	})
}
