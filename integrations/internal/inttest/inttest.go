// Package inttest is what the integrations' tests share: a receiver and a
// client reporting to it, servers on 127.0.0.1 and requests to them,
// events read back and checked against the event schema, and the checks
// of scope isolation between concurrent requests.
//
// Only tests import it.
package inttest

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/internal/schematest"
	"github.com/ravenkit/raven/raventest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// CloseTimeout bounds how long Close waits for the client's events.
const CloseTimeout = 10 * time.Second

// NewClient starts a receiver and a client reporting to it, closed when
// the test ends.
func NewClient(t testing.TB, opts ...raven.Option) (*raventest.Server, *raven.Client) {
	t.Helper()
	srv := raventest.NewServer(t)
	c, err := raven.New(append([]raven.Option{raven.WithDSN(srv.DSN())}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return srv, c
}

// Serve serves h on 127.0.0.1 until the test ends and returns its URL.
func Serve(t testing.TB, h http.Handler) string {
	t.Helper()
	web := httptest.NewServer(h)
	t.Cleanup(web.Close)
	require.True(t, strings.HasPrefix(web.URL, "http://127.0.0.1:"))
	return web.URL
}

// Listen runs serve on a listener on 127.0.0.1 until the test ends, then
// calls stop and waits for serve to return. It returns the server's URL
// and an HTTP client for it, whose connections are closed at the end.
func Listen(t testing.TB, serve func(net.Listener) error, stop func() error) (string, *http.Client) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = serve(ln)
	}()
	hc := &http.Client{Transport: &http.Transport{}, Timeout: CloseTimeout}
	t.Cleanup(func() {
		hc.CloseIdleConnections()
		_ = stop()
		<-done
	})
	return "http://" + ln.Addr().String(), hc
}

// Do sends a request through hc (nil: http.DefaultClient) with the
// headers hdr and returns the answer's status and body.
func Do(t testing.TB, hc *http.Client, method, url string, body io.Reader, hdr map[string]string) (int, string) {
	t.Helper()
	if hc == nil {
		hc = http.DefaultClient
	}
	req, err := http.NewRequest(method, url, body)
	require.NoError(t, err)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := hc.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// Close closes c, waiting up to CloseTimeout for its events' delivery.
func Close(t testing.TB, c *raven.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), CloseTimeout)
	defer cancel()
	require.NoError(t, c.Close(ctx))
}

// CheckSchema checks every event srv received against the event schema;
// it must have received one at least.
func CheckSchema(t testing.TB, srv *raventest.Server) {
	t.Helper()
	raws := srv.RawEvents()
	require.NotEmpty(t, raws)
	for _, raw := range raws {
		schematest.Check(t, raw)
	}
}

// Events closes c and returns the events srv received, each checked
// against the event schema.
func Events(t testing.TB, srv *raventest.Server, c *raven.Client) []*raven.Event {
	t.Helper()
	Close(t, c)
	for _, raw := range srv.RawEvents() {
		schematest.Check(t, raw)
	}
	return srv.Events()
}

// LastException returns the last exception of ev, the error reported
// (exceptions go innermost first).
func LastException(t testing.TB, ev *raven.Event) raven.Exception {
	t.Helper()
	require.NotNil(t, ev.Exception)
	require.NotEmpty(t, ev.Exception.Values)
	return ev.Exception.Values[len(ev.Exception.Values)-1]
}

// Mark puts id on scope, the scope of one request or call, as
// CheckIsolated expects it: user id, tag key and a breadcrumb "crumb
// <id>" recorded through ctx. It then sleeps a millisecond, so that
// concurrent requests overlap.
func Mark(ctx context.Context, scope *raven.Scope, key, id string) {
	scope.SetUser(&raven.User{ID: id})
	scope.SetTag(key, id)
	raven.AddBreadcrumb(ctx, raven.Breadcrumb{Message: "crumb " + id})
	time.Sleep(time.Millisecond)
}

// Failure is the error a request marked with id reports.
func Failure(id string) error { return errors.New("failure " + id) }

// Concurrently runs f(0) to f(n-1) at once and waits for them.
func Concurrently(n int, f func(i int)) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { f(i) })
	}
	wg.Wait()
}

// Get sends a GET through hc (nil: http.DefaultClient) from any
// goroutine, asserting only that it was answered.
func Get(t testing.TB, hc *http.Client, url string) {
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Get(url)
	if assert.NoError(t, err) {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// CheckIsolated checks that evs are n events, one per request marked
// (Mark) with its own id under the tag key, each reporting Failure(id)
// and carrying that request's user, tag and breadcrumb only, and that
// nothing reached the root scope of c. each checks more of every event.
func CheckIsolated(t testing.TB, c *raven.Client, evs []*raven.Event, n int, key string, each func(ev *raven.Event, id string)) {
	t.Helper()
	require.Len(t, evs, n)
	seen := map[string]bool{}
	for _, ev := range evs {
		require.NotNil(t, ev.User)
		id := ev.User.ID
		assert.Equal(t, id, ev.Tags[key])
		assert.Equal(t, Failure(id).Error(), LastException(t, ev).Value)
		require.NotNil(t, ev.Breadcrumbs)
		require.Len(t, ev.Breadcrumbs.Values, 1, "only this request's breadcrumbs")
		assert.Equal(t, "crumb "+id, ev.Breadcrumbs.Values[0].Message)
		if each != nil {
			each(ev, id)
		}
		seen[id] = true
	}
	assert.Len(t, seen, n)
	assert.Empty(t, c.Scope().Breadcrumbs(), "nothing leaked into the root scope")
}

// The traces of TraceHeaders: the trace ids CheckTraces looks for.
var (
	SentryTraceID = strings.Repeat("a", 32)
	TraceparentID = strings.Repeat("c", 32)
)

// TraceHeaders are two requests' headers continuing a trace: one with
// sentry-trace (trace SentryTraceID), one with traceparent (trace
// TraceparentID).
var TraceHeaders = []map[string]string{
	{"sentry-trace": SentryTraceID + "-" + strings.Repeat("b", 16) + "-1"},
	{"traceparent": "00-" + TraceparentID + "-" + strings.Repeat("d", 16) + "-01"},
}

// CheckTraces checks that evs hold an event of each trace of TraceHeaders.
func CheckTraces(t testing.TB, evs []*raven.Event) {
	t.Helper()
	ids := map[any]bool{}
	for _, ev := range evs {
		ids[ev.Contexts["trace"]["trace_id"]] = true
	}
	assert.True(t, ids[SentryTraceID])
	assert.True(t, ids[TraceparentID])
}
