package ravenchi_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/ravenkit/raven"
	ravenchi "github.com/ravenkit/raven/integrations/chi"
	ravenhttp "github.com/ravenkit/raven/integrations/http"
	"github.com/ravenkit/raven/integrations/internal/inttest"
	"github.com/ravenkit/raven/raventest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type fixture struct {
	srv *raventest.Server
	c   *raven.Client
	web *httptest.Server
}

// serve serves h on a real listener on 127.0.0.1.
func serve(t *testing.T, srv *raventest.Server, c *raven.Client, h http.Handler) *fixture {
	t.Helper()
	web := httptest.NewServer(h)
	t.Cleanup(web.Close)
	return &fixture{srv: srv, c: c, web: web}
}

func (f *fixture) do(t *testing.T, method, path string) int {
	t.Helper()
	req, err := http.NewRequest(method, f.web.URL+path, nil)
	require.NoError(t, err)
	resp, err := f.web.Client().Do(req)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func (f *fixture) events(t *testing.T) []*raven.Event { return inttest.Events(t, f.srv, f.c) }

func capture(w http.ResponseWriter, r *http.Request) {
	raven.CaptureExceptionContext(r.Context(), errors.New("failed "+r.URL.Path))
}

// copyRequest is a middleware that hands the rest of the chain a copy of
// the request, as many do (r.WithContext).
func copyRequest(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), copyKey{}, 1)))
	})
}

func TestTransactionOnEveryEvent(t *testing.T) {
	srv, c := inttest.NewClient(t)
	r := chi.NewRouter()
	r.Use(ravenchi.New(ravenhttp.WithClient(c)))
	r.Use(copyRequest)
	r.Get("/orders/{id}", capture)
	r.Post("/orders/{id}/pay", func(w http.ResponseWriter, r *http.Request) { panic("payment failed") })
	r.Route("/api/v1", func(r chi.Router) {
		r.Get("/users/{name}", capture)
		r.Route("/teams/{team}", func(r chi.Router) {
			r.Get("/", capture)
			r.Get("/members/{member}", capture)
		})
	})
	admin := chi.NewRouter()
	admin.Get("/stats/{day}", capture)
	r.Mount("/admin", admin)
	r.Get("/files/*", capture)
	r.NotFound(capture)
	f := serve(t, srv, c, r)

	cases := map[string]string{
		"/orders/7":                     "GET /orders/{id}",
		"/api/v1/users/ann":             "GET /api/v1/users/{name}",
		"/api/v1/teams/red/":            "GET /api/v1/teams/{team}/",
		"/api/v1/teams/red/members/bob": "GET /api/v1/teams/{team}/members/{member}",
		"/admin/stats/monday":           "GET /admin/stats/{day}",
		"/files/a/b/c.txt":              "GET /files/*",
		"/nowhere/42":                   "",
	}
	for path := range cases {
		f.do(t, http.MethodGet, path)
	}
	assert.Equal(t, http.StatusInternalServerError, f.do(t, http.MethodPost, "/orders/9/pay"))
	evs := f.events(t)
	require.Len(t, evs, len(cases)+1)
	for _, ev := range evs {
		if ev.Transaction == "POST /orders/{id}/pay" {
			assert.Equal(t, "payment failed", ev.Exception.Values[len(ev.Exception.Values)-1].Value)
			continue
		}
		path := strings.TrimPrefix(ev.Exception.Values[len(ev.Exception.Values)-1].Value, "failed ")
		want, ok := cases[path]
		require.True(t, ok, path)
		assert.Equal(t, want, ev.Transaction, path)
		require.NotNil(t, ev.Request)
		assert.Equal(t, f.web.URL+path, ev.Request.URL)
		delete(cases, path)
	}
	assert.Empty(t, cases)
}

func TestWrappingTheRouter(t *testing.T) {
	srv, c := inttest.NewClient(t)
	r := chi.NewRouter()
	r.Get("/orders/{id}", capture)
	f := serve(t, srv, c, ravenchi.New(ravenhttp.WithClient(c))(r))
	f.do(t, http.MethodGet, "/orders/7")
	evs := f.events(t)
	require.Len(t, evs, 1)
	assert.Equal(t, "GET /orders/{id}", evs[0].Transaction)
}

func TestOnASubRouter(t *testing.T) {
	srv, c := inttest.NewClient(t)
	r := chi.NewRouter()
	r.Route("/api", func(r chi.Router) {
		r.Use(ravenchi.New(ravenhttp.WithClient(c)))
		r.Get("/orders/{id}", capture)
	})
	f := serve(t, srv, c, r)
	f.do(t, http.MethodGet, "/api/orders/7")
	evs := f.events(t)
	require.Len(t, evs, 1)
	assert.Equal(t, "GET /api/orders/{id}", evs[0].Transaction)
}

func TestConcurrentRequestsNoCrossTalk(t *testing.T) {
	srv, c := inttest.NewClient(t)
	r := chi.NewRouter()
	r.Use(ravenchi.New(ravenhttp.WithClient(c)))
	r.Get("/items/{id}", func(w http.ResponseWriter, r *http.Request) {
		id := chi.URLParam(r, "id")
		inttest.Mark(r.Context(), raven.ScopeFromContext(r.Context()), "req", id)
		raven.CaptureExceptionContext(r.Context(), inttest.Failure(id))
	})
	f := serve(t, srv, c, r)
	inttest.Concurrently(100, func(i int) {
		inttest.Get(t, f.web.Client(), fmt.Sprintf("%s/items/%d", f.web.URL, i))
	})
	evs := f.events(t)
	inttest.CheckIsolated(t, c, evs, 100, "req", func(ev *raven.Event, id string) {
		assert.Equal(t, "GET /items/{id}", ev.Transaction)
	})
}

func BenchmarkMiddleware(b *testing.B) {
	c, err := raven.New(raven.WithDSN("https://k@127.0.0.1:1/1"))
	require.NoError(b, err)
	defer func() { _ = c.Close(context.Background()) }()
	ok := func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }
	bare := chi.NewRouter()
	bare.Get("/orders/{id}", ok)
	withHTTP := chi.NewRouter()
	withHTTP.Use(func(next http.Handler) http.Handler { return ravenhttp.Handler(next, ravenhttp.WithClient(c)) })
	withHTTP.Get("/orders/{id}", ok)
	withChi := chi.NewRouter()
	withChi.Use(ravenchi.New(ravenhttp.WithClient(c)))
	withChi.Get("/orders/{id}", ok)
	req := httptest.NewRequest(http.MethodGet, "/orders/7", nil)
	w := httptest.NewRecorder()
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{{"bare", bare}, {"ravenhttp", withHTTP}, {"ravenchi", withChi}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				bc.h.ServeHTTP(w, req)
			}
		})
	}
}

// copyKey marks the copied request.
type copyKey struct{}
