package httpsend_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/ravenkit/raven/internal/delivery"
	"github.com/ravenkit/raven/internal/httpsend"
	"github.com/ravenkit/raven/internal/protocol"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// recorder is a loopback server answering with the statuses of answers in
// turn (200 once they run out) and keeping each request's decoded body.
type recorder struct {
	mu      sync.Mutex
	answers []func(http.ResponseWriter)
	bodies  [][]byte
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	if req.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err == nil {
			body, _ = io.ReadAll(zr)
		}
	}
	r.mu.Lock()
	r.bodies = append(r.bodies, body)
	var answer func(http.ResponseWriter)
	if len(r.answers) > 0 {
		answer, r.answers = r.answers[0], r.answers[1:]
	}
	r.mu.Unlock()
	if answer != nil {
		answer(w)
	}
}

func (r *recorder) requests() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.bodies...)
}

func status(code int, headers ...string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.WriteHeader(code)
	}
}

func envelope(t *testing.T, types ...string) *protocol.Envelope {
	t.Helper()
	env := &protocol.Envelope{Header: protocol.EnvelopeHeader{EventID: protocol.NewEventID()}}
	for _, typ := range types {
		env.Items = append(env.Items, protocol.EnvelopeItem{Type: typ, Payload: []byte(`{"k":"` + typ + `"}`)})
	}
	return env
}

func start(t *testing.T, rec *recorder, cfg httpsend.Config) *httpsend.Sender {
	t.Helper()
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	if cfg.Backoff == nil {
		cfg.Backoff = func(int) time.Duration { return time.Millisecond }
	}
	s := httpsend.New(srv.URL+"/api/1/envelope/", "Sentry sentry_key=k", cfg)
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	return s
}

func TestRetriesServerErrorsThenDelivers(t *testing.T) {
	rec := &recorder{answers: []func(http.ResponseWriter){status(503), status(500)}}
	s := start(t, rec, httpsend.Config{Gzip: true})
	require.NoError(t, s.Send(context.Background(), []*protocol.Envelope{envelope(t, protocol.ItemEvent)}))
	reqs := rec.requests()
	require.Len(t, reqs, 3)
	assert.Equal(t, reqs[0], reqs[2], "every attempt carries the same envelope")
	assert.Contains(t, string(reqs[2]), `{"k":"event"}`)
}

func TestGivesUpAfterMaxAttempts(t *testing.T) {
	rec := &recorder{answers: []func(http.ResponseWriter){status(502), status(502), status(502)}}
	s := start(t, rec, httpsend.Config{MaxAttempts: 2})
	err := s.Send(context.Background(), []*protocol.Envelope{envelope(t, protocol.ItemEvent)})
	var de *delivery.DropError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, delivery.DropSendError, de.Reason)
	assert.Equal(t, 502, de.Status)
	assert.Len(t, rec.requests(), 2)
}

func TestRedirectIsNotFollowed(t *testing.T) {
	rec := &recorder{answers: []func(http.ResponseWriter){status(307, "Location", "http://127.0.0.1:1/elsewhere")}}
	s := start(t, rec, httpsend.Config{})
	err := s.Send(context.Background(), []*protocol.Envelope{envelope(t, protocol.ItemEvent)})
	var de *delivery.DropError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, 307, de.Status)
	assert.Len(t, rec.requests(), 1)
}

// A 429 limiting log_item blocks log items and nothing else: errors in the
// same envelope and in later ones still go.
func TestRateLimitPerCategory(t *testing.T) {
	rec := &recorder{answers: []func(http.ResponseWriter){status(429, "X-Sentry-Rate-Limits", "60:log_item:organization")}}
	s := start(t, rec, httpsend.Config{})
	var de *delivery.DropError
	require.ErrorAs(t, s.Send(context.Background(), []*protocol.Envelope{envelope(t, protocol.ItemLog)}), &de)
	assert.Equal(t, delivery.DropRateLimit, de.Reason)
	assert.True(t, s.RateLimited("log_item"))
	assert.False(t, s.RateLimited("error"))

	require.ErrorAs(t, s.Send(context.Background(), []*protocol.Envelope{envelope(t, protocol.ItemLog)}), &de)
	assert.Len(t, rec.requests(), 1, "a limited envelope is not sent")

	require.NoError(t, s.Send(context.Background(), []*protocol.Envelope{envelope(t, protocol.ItemEvent, protocol.ItemLog)}))
	reqs := rec.requests()
	require.Len(t, reqs, 2)
	assert.Contains(t, string(reqs[1]), `"k":"event"`)
	assert.NotContains(t, string(reqs[1]), `"k":"log"`, "the limited item is left out")
}

func TestCloseStopsRetryWait(t *testing.T) {
	rec := &recorder{answers: []func(http.ResponseWriter){status(503)}}
	s := start(t, rec, httpsend.Config{Backoff: func(int) time.Duration { return time.Hour }})
	done := make(chan error, 1)
	go func() { done <- s.Send(context.Background(), []*protocol.Envelope{envelope(t, protocol.ItemEvent)}) }()
	require.Eventually(t, func() bool { return len(rec.requests()) == 1 }, 5*time.Second, time.Millisecond)
	require.NoError(t, s.Close(context.Background()))
	select {
	case err := <-done:
		var de *delivery.DropError
		require.True(t, errors.As(err, &de))
		assert.Equal(t, delivery.DropSendError, de.Reason)
	case <-time.After(5 * time.Second):
		t.Fatal("Send kept waiting after Close")
	}
}

func TestExponentialBackoffStaysInBounds(t *testing.T) {
	b := httpsend.ExponentialBackoff(10*time.Millisecond, 80*time.Millisecond)
	for attempt := 1; attempt <= 10; attempt++ {
		want := min(10*time.Millisecond<<(attempt-1), 80*time.Millisecond)
		for range 50 {
			d := b(attempt)
			assert.GreaterOrEqual(t, d, want/2)
			assert.LessOrEqual(t, d, want)
		}
	}
}
