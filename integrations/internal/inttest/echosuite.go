package inttest

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/raventest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Echo is an echo version and its raven middleware (ravenecho,
// ravenecho5), for the tests RunEcho runs on both.
type Echo struct {
	// New returns an app whose middleware reports to c, with
	// WithReportStatus(report) when setReport.
	New func(c *raven.Client, setReport bool, report func(status int) bool) App
	// Errors the handlers return: a 502 *echo.HTTPError wrapping errDB,
	// echo.ErrNotFound, a 400 *echo.HTTPError, and a 500 one whose
	// internal error is echo.ErrNotFound (v4) or echo.ErrNotFound wrapping
	// errDB (v5): each version's way for an error to stand for a 404.
	BadGateway, NotFound, BadRequest, Internal404 func(errDB error) error
	// Chained is a 503 *echo.HTTPError wrapping err.
	Chained func(err error) error
}

// ErrDB is the error RunEcho's handlers fail with.
var ErrDB = errors.New("database down")

// RunEcho runs the tests both echo middlewares pass besides RunHTTP's.
func RunEcho(t *testing.T, e Echo) {
	t.Run("ReturnedErrorsByStatus", e.returnedErrorsByStatus)
	t.Run("ReturnedErrorKeepsItsChain", e.returnedErrorKeepsItsChain)
}

func (e Echo) app(t *testing.T, setReport bool, report func(int) bool) (*raventest.Server, *raven.Client, App) {
	t.Helper()
	srv, c := NewClient(t)
	return srv, c, e.New(c, setReport, report)
}

// fail returns a handler that returns err.
func fail(err error) Handler {
	return func(http.ResponseWriter, *http.Request, func(string) string) error { return err }
}

func (e Echo) returnedErrorsByStatus(t *testing.T) {
	routes := map[string]Handler{
		"/plain":       fail(fmt.Errorf("load order: %w", ErrDB)),
		"/http500":     fail(e.BadGateway(ErrDB)),
		"/http404":     fail(e.NotFound(ErrDB)),
		"/http400":     fail(e.BadRequest(ErrDB)),
		"/wrapped404":  fail(fmt.Errorf("lookup: %w", e.NotFound(ErrDB))),
		"/internal404": fail(e.Internal404(ErrDB)),
		"/ok": func(w http.ResponseWriter, _ *http.Request, _ func(string) string) error {
			w.WriteHeader(http.StatusOK)
			return nil
		},
		"/written-error": func(w http.ResponseWriter, _ *http.Request, _ func(string) string) error {
			w.WriteHeader(http.StatusOK)
			return ErrDB
		},
	}
	cases := []struct {
		name      string
		setReport bool
		report    func(int) bool
		want      []string // paths whose errors are reported
	}{
		{"default: 5xx and plain errors", false, nil, []string{"/plain", "/http500", "/written-error"}},
		{"every status", true, func(int) bool { return true },
			[]string{"/plain", "/http500", "/http404", "/http400", "/wrapped404", "/internal404", "/written-error"}},
		{"nil restores the default", true, nil, []string{"/plain", "/http500", "/written-error"}},
		{"4xx only", true, func(s int) bool { return s >= 400 && s < 500 },
			[]string{"/http404", "/http400", "/wrapped404", "/internal404"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, c, app := e.app(t, tc.setReport, tc.report)
			for p, h := range routes {
				app.Handle(http.MethodGet, "/r"+p, h)
			}
			url := Serve(t, app)
			status, _ := Do(t, nil, http.MethodGet, url+"/r/plain", nil, nil)
			assert.Equal(t, http.StatusInternalServerError, status, "echo's error handler answers")
			status, _ = Do(t, nil, http.MethodGet, url+"/r/http500", nil, nil)
			assert.Equal(t, http.StatusBadGateway, status)
			status, _ = Do(t, nil, http.MethodGet, url+"/r/http404", nil, nil)
			assert.Equal(t, http.StatusNotFound, status)
			for _, p := range []string{"/http400", "/wrapped404", "/internal404", "/ok", "/written-error"} {
				Do(t, nil, http.MethodGet, url+"/r"+p, nil, nil)
			}
			Close(t, c)
			var got []string
			for _, ev := range srv.Events() {
				got = append(got, strings.TrimPrefix(ev.Transaction, "GET /r"))
				assert.Equal(t, "generic", LastException(t, ev).Mechanism.Type)
			}
			assert.ElementsMatch(t, tc.want, got)
			CheckSchema(t, srv)
		})
	}
}

func (e Echo) returnedErrorKeepsItsChain(t *testing.T) {
	srv, c, app := e.app(t, false, nil)
	app.Handle(http.MethodGet, "/orders/:id", fail(e.Chained(fmt.Errorf("load order: %w", ErrDB))))
	status, _ := Do(t, nil, http.MethodGet, Serve(t, app)+"/orders/1", nil, nil)
	assert.Equal(t, http.StatusServiceUnavailable, status)
	Close(t, c)
	require.Len(t, srv.Events(), 1)
	var values []string
	for _, v := range srv.Events()[0].Exception.Values {
		values = append(values, v.Value)
	}
	assert.Contains(t, values, "database down")
	assert.Contains(t, values, "load order: database down")
}
