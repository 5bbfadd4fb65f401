package raven_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/internal/schematest"
	"github.com/ravenkit/raven/raventest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fastRetries keeps retry waits short in tests.
func fastRetries() raven.Option {
	return raven.WithHTTPTransportOptions(raven.WithBackoff(func(int) time.Duration { return 5 * time.Millisecond }))
}

func closeClient(t *testing.T, c *raven.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, c.Close(ctx))
}

func TestHTTPTransportDeliversGzip(t *testing.T) {
	srv := raventest.NewServer(t)
	var gzipped, auth, ctype atomic.Value
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gzipped.Store(r.Header.Get("Content-Encoding"))
		auth.Store(r.Header.Get("X-Sentry-Auth"))
		ctype.Store(r.Header.Get("Content-Type"))
		body, _ := io.ReadAll(r.Body)
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if assert.NoError(t, err, "body is gzip") {
			_, err = io.ReadAll(zr)
			assert.NoError(t, err)
		}
		req, _ := http.NewRequest(r.Method, srv.URL()+r.URL.Path, bytes.NewReader(body))
		req.Header = r.Header.Clone()
		resp, err := http.DefaultClient.Do(req)
		if !assert.NoError(t, err) {
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	}))
	defer proxy.Close()
	d, _ := raven.ParseDSN(srv.DSN())
	dsn := "http://" + d.PublicKey + "@" + strings.TrimPrefix(proxy.URL, "http://") + "/" + raventest.ProjectID
	c, err := raven.New(raven.WithDSN(dsn))
	require.NoError(t, err)
	c.CaptureException(fmt.Errorf("wrapped: %w", errors.New("cause")))
	c.CaptureMessage("hello")
	closeClient(t, c)
	assert.Equal(t, "gzip", gzipped.Load())
	assert.Contains(t, auth.Load(), "sentry_version=7")
	assert.Contains(t, auth.Load(), "sentry_key="+d.PublicKey)
	assert.Equal(t, "application/x-sentry-envelope", ctype.Load())
	require.Len(t, srv.RawEvents(), 2)
	for _, raw := range srv.RawEvents() {
		schematest.Check(t, raw)
	}
	assert.Equal(t, uint64(2), c.Stats().Delivered)
}

func TestHTTPTransportWithoutGzip(t *testing.T) {
	srv := raventest.NewServer(t)
	c, err := raven.New(raven.WithDSN(srv.DSN()), raven.WithHTTPTransportOptions(raven.WithGzip(false)))
	require.NoError(t, err)
	c.CaptureMessage("plain")
	closeClient(t, c)
	require.Len(t, srv.Events(), 1)
}

func TestHTTPTransportRetries5xxOnce(t *testing.T) {
	srv := raventest.NewServer(t)
	srv.FailNext(1, 500)
	c, err := raven.New(raven.WithDSN(srv.DSN()), fastRetries())
	require.NoError(t, err)
	id := c.CaptureMessage("retried")
	closeClient(t, c)
	require.Len(t, srv.Events(), 1, "delivered exactly once")
	assert.Equal(t, id, srv.Events()[0].EventID)
	assert.Equal(t, 2, srv.Requests())
	assert.Equal(t, uint64(1), c.Stats().Delivered)
}

func TestHTTPTransportGivesUpAfterRetries(t *testing.T) {
	srv := raventest.NewServer(t)
	srv.FailNext(raven.DefaultMaxAttempts, 503)
	c, err := raven.New(raven.WithDSN(srv.DSN()), fastRetries())
	require.NoError(t, err)
	c.CaptureMessage("lost")
	closeClient(t, c)
	// every attempt for the event, then the client report telling of it
	assert.Equal(t, raven.DefaultMaxAttempts+1, srv.Requests())
	assert.Equal(t, uint64(1), c.Stats().Dropped[raven.DropSendError])
	assertReported(t, srv, "send_error", 1)
}

func TestHTTPTransportConnectionReset(t *testing.T) {
	srv := raventest.NewServer(t)
	var calls atomic.Int32
	flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close() // reset mid-request
			}
			return
		}
		body, _ := io.ReadAll(r.Body)
		req, _ := http.NewRequest(r.Method, srv.URL()+r.URL.Path, bytes.NewReader(body))
		req.Header = r.Header.Clone()
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			w.WriteHeader(resp.StatusCode)
		}
	}))
	defer flaky.Close()
	d, _ := raven.ParseDSN(srv.DSN())
	c, err := raven.New(raven.WithDSN("http://"+d.PublicKey+"@"+strings.TrimPrefix(flaky.URL, "http://")+"/42"), fastRetries())
	require.NoError(t, err)
	c.CaptureMessage("survives a reset")
	closeClient(t, c)
	assert.Len(t, srv.Events(), 1)
	assert.Equal(t, int32(2), calls.Load())
}

func TestHTTPTransportHangingServer(t *testing.T) {
	srv := raventest.NewServer(t)
	srv.Hang()
	c, err := raven.New(raven.WithDSN(srv.DSN()))
	require.NoError(t, err)
	c.CaptureMessage("stuck")
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, c.Flush(ctx), context.DeadlineExceeded)
	cctx, ccancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer ccancel()
	start := time.Now()
	assert.ErrorIs(t, c.Close(cctx), context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 2*time.Second, "Close returns soon after its deadline")
	st := c.Stats()
	assert.Equal(t, uint64(1), st.DroppedTotal(), "counted, not lost: %v", st.Dropped)
	assert.Zero(t, st.Pending)
	// goleak in TestMain checks that no sender survived Close
}

func TestHTTPTransport429(t *testing.T) {
	for name, header := range map[string]http.Header{
		"retry after seconds": {"Retry-After": {"60"}},
		"retry after date":    {"Retry-After": {time.Now().Add(time.Minute).UTC().Format(http.TimeFormat)}},
		"no header":           {},
	} {
		t.Run(name, func(t *testing.T) {
			srv := raventest.NewServer(t)
			srv.RespondWith(429, header)
			c, err := raven.New(raven.WithDSN(srv.DSN()), fastRetries())
			require.NoError(t, err)
			c.CaptureMessage("first")
			require.NoError(t, c.Flush(context.Background()))
			c.CaptureMessage("second, never sent")
			closeClient(t, c)
			assert.Equal(t, 1, srv.Requests(), "429 is not retried and blocks later sends")
			assert.Equal(t, uint64(2), c.Stats().Dropped[raven.DropRateLimit])
		})
	}
}

func TestHTTPTransportRateLimitCategories(t *testing.T) {
	srv := raventest.NewServer(t)
	srv.RespondWith(200, http.Header{"X-Sentry-Rate-Limits": {"60:transaction:organization"}})
	c, err := raven.New(raven.WithDSN(srv.DSN()))
	require.NoError(t, err)
	c.CaptureMessage("a")
	require.NoError(t, c.Flush(context.Background()))
	c.CaptureMessage("b: errors are not limited by a transaction limit")
	require.NoError(t, c.Flush(context.Background()))
	assert.Len(t, srv.Events(), 2)

	srv.RespondWith(200, http.Header{"X-Sentry-Rate-Limits": {"60:error;default:organization:quota_exceeded"}})
	c.CaptureMessage("c: accepted, and sets the limit")
	require.NoError(t, c.Flush(context.Background()))
	c.CaptureMessage("d: dropped before sending")
	closeClient(t, c)
	assert.Len(t, srv.Events(), 3)
	assert.Equal(t, 4, srv.Requests(), "three events, then the client report at Close")
	assert.Equal(t, uint64(1), c.Stats().Dropped[raven.DropRateLimit])
	assertReported(t, srv, "ratelimit_backoff", 1)
}

func TestHTTPTransport413(t *testing.T) {
	srv := raventest.NewServer(t)
	srv.FailNext(1, 413)
	c, err := raven.New(raven.WithDSN(srv.DSN()), fastRetries())
	require.NoError(t, err)
	c.CaptureMessage("too big, says the server")
	closeClient(t, c)
	assert.Equal(t, 2, srv.Requests(), "413 is not retried: the event, then its client report")
	assert.Equal(t, uint64(1), c.Stats().Dropped[raven.DropSendError])
	assertReported(t, srv, "send_error", 1)
}

func TestClientReportsReachTheServer(t *testing.T) {
	srv := raventest.NewServer(t)
	c, err := raven.New(raven.WithDSN(srv.DSN()), raven.WithBeforeSend(func(e *raven.Event, _ *raven.EventHint) *raven.Event {
		if e.Message != nil && e.Message.Formatted == "drop" {
			return nil
		}
		return e
	}))
	require.NoError(t, err)
	for i := 0; i < 3; i++ {
		c.CaptureMessage("drop")
	}
	require.NoError(t, c.Flush(context.Background()))
	c.CaptureMessage("keep")
	closeClient(t, c)
	assertReported(t, srv, "before_send", 3)
}

// assertReported checks that the server's client reports add up to n
// discarded error events, all for reason.
func assertReported(t *testing.T, srv *raventest.Server, reason string, n int) {
	t.Helper()
	total := 0
	for _, r := range srv.ClientReports() {
		for _, d := range r.Discarded {
			assert.Equal(t, reason, d.Reason)
			assert.Equal(t, "error", d.Category)
			total += d.Quantity
		}
	}
	assert.Equal(t, n, total)
}

func TestBurstAllDelivered(t *testing.T) {
	if testing.Short() {
		t.Skip("3000 requests with 20 ms latency")
	}
	srv := raventest.NewServer(t, raventest.WithLatency(20*time.Millisecond))
	c, err := raven.New(raven.WithDSN(srv.DSN()))
	require.NoError(t, err)
	const n = 3000
	for i := 0; i < n; i++ {
		require.NotEmpty(t, c.CaptureException(fmt.Errorf("burst error %d", i)))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	start := time.Now()
	require.NoError(t, c.Close(ctx))
	t.Logf("3000 events with 20 ms latency flushed in %v", time.Since(start))
	st := c.Stats()
	assert.Equal(t, uint64(n), st.Delivered, "dropped: %v", st.Dropped)
	assert.Len(t, srv.Events(), n)
}

func TestBurstTinyQueueAccountsForEverything(t *testing.T) {
	srv := raventest.NewServer(t, raventest.WithLatency(5*time.Millisecond))
	c, err := raven.New(raven.WithDSN(srv.DSN()), raven.WithQueue(10, 1<<20))
	require.NoError(t, err)
	const n = 3000
	for i := 0; i < n; i++ {
		c.CaptureException(fmt.Errorf("burst error %d", i))
	}
	closeClient(t, c)
	st := c.Stats()
	assert.Equal(t, uint64(n), st.Captured)
	assert.Equal(t, uint64(n), st.Delivered+st.DroppedTotal(), "every event delivered or counted: %+v", st)
	assert.Greater(t, st.Dropped[raven.DropQueueOverflow], uint64(0))
	assert.Equal(t, int(st.Delivered), len(srv.Events()))
}

func TestTransportDirectUse(t *testing.T) {
	srv := raventest.NewServer(t)
	d, err := raven.ParseDSN(srv.DSN())
	require.NoError(t, err)
	tr, err := raven.NewHTTPTransport(d, raven.WithRequestTimeout(time.Second), raven.WithRetries(1, time.Second))
	require.NoError(t, err)
	payload := []byte(`{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc","timestamp":"2026-01-01T00:00:00Z","platform":"go"}`)
	env := &raven.Envelope{Header: raven.EnvelopeHeader{EventID: "9ec79c33ec9942ab8353589fcb2e04dc"},
		Items: []raven.EnvelopeItem{{Type: raven.ItemEvent, Payload: payload, Events: 1}}}
	require.NoError(t, tr.Send(context.Background(), []*raven.Envelope{env}))
	srv.RespondWith(200, http.Header{"X-Sentry-Rate-Limits": {"60:error:org"}})
	require.NoError(t, tr.Send(context.Background(), []*raven.Envelope{env}))
	assert.True(t, tr.RateLimited("error"))
	err = tr.Send(context.Background(), []*raven.Envelope{env})
	var de *raven.DropError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, raven.DropRateLimit, de.Reason)
	require.NoError(t, tr.Close(context.Background()))
	_, err = raven.NewHTTPTransport(nil)
	assert.Error(t, err)
}

func TestCheckRetryPolicy(t *testing.T) {
	srv := raventest.NewServer(t)
	srv.FailNext(1, 503)
	noRetry := raven.WithHTTPTransportOptions(raven.WithCheckRetry(func(status int, err error) bool { return false }))
	c, err := raven.New(raven.WithDSN(srv.DSN()), noRetry, fastRetries())
	require.NoError(t, err)
	c.CaptureMessage("not retried")
	require.NoError(t, c.Flush(context.Background()))
	assert.Equal(t, 1, srv.Requests()-len(srv.ClientReports()))
	closeClient(t, c)
	assert.Equal(t, uint64(1), c.Stats().Dropped[raven.DropSendError])
	assert.True(t, raven.DefaultCheckRetry(0, errors.New("reset")))
	assert.True(t, raven.DefaultCheckRetry(502, nil))
	assert.False(t, raven.DefaultCheckRetry(429, nil))
	assert.False(t, raven.DefaultCheckRetry(400, nil))
}
