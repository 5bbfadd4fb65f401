package raven_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/raventest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func logPayload(i int) []byte {
	return fmt.Appendf(nil, `{"timestamp":1764633600.5,"level":"info","body":"log %d","trace_id":"5b8efff798038103d269b633813fc60c"}`, i)
}

// logItems returns the log container items the server got and the logs
// they held.
func logItems(t *testing.T, srv *raventest.Server) (containers, logs int) {
	t.Helper()
	for _, env := range srv.Envelopes() {
		for _, it := range env.Items {
			if it.Type != "log" {
				continue
			}
			containers++
			assert.Equal(t, "application/vnd.sentry.items.log+json", it.ContentType)
			var body struct {
				Items []map[string]any `json:"items"`
			}
			require.NoError(t, json.Unmarshal(it.Payload, &body))
			assert.JSONEq(t, fmt.Sprint(len(body.Items)), string(it.Attrs["item_count"]))
			assert.LessOrEqual(t, len(body.Items), 100, "at most 100 logs per envelope")
			logs += len(body.Items)
		}
	}
	return containers, logs
}

// Logs go in batches of up to 100 in one container item, counted in their
// own category, apart from events.
func TestLogsAreBatched(t *testing.T) {
	srv := raventest.NewServer(t)
	c, err := raven.New(raven.WithDSN(srv.DSN()))
	require.NoError(t, err)
	for i := range 250 {
		require.True(t, raven.EnqueueItem(c, "log_item", logPayload(i)))
	}
	require.True(t, raven.EnqueueItem(c, "log_item", []byte(`"not an object"`)))
	c.CaptureMessage("an event among the logs")
	closeClient(t, c)
	containers, logs := logItems(t, srv)
	assert.Equal(t, 250, logs)
	assert.Equal(t, 3, containers, "250 logs in 100 + 100 + 50")
	s := c.Stats()
	assert.Equal(t, raven.CategoryStats{Captured: 251, Delivered: 250,
		Dropped: map[raven.DropReason]uint64{raven.DropInternalError: 1}}, s.Categories["log_item"])
	assert.Equal(t, uint64(1), s.Captured, "logs are not events")
	assert.Equal(t, uint64(1), s.Delivered)
}

// A 429 that limits log_item stops logs and nothing else: errors are
// delivered, later logs are dropped before they are queued, and the drops
// reach the server in a client report under their category.
func TestRateLimitedLogsDoNotStopErrors(t *testing.T) {
	srv := raventest.NewServer(t)
	c, err := raven.New(raven.WithDSN(srv.DSN()))
	require.NoError(t, err)
	srv.RespondWith(http.StatusTooManyRequests, http.Header{"X-Sentry-Rate-Limits": {"60:log_item:organization"}})
	for i := range 10 {
		raven.EnqueueItem(c, "log_item", logPayload(i))
	}
	flush(t, c)
	srv.RespondWith(0, nil)
	for i := range 20 {
		assert.False(t, raven.EnqueueItem(c, "log_item", logPayload(i)), "limited logs are refused at once")
		c.CaptureException(fmt.Errorf("error %d", i))
	}
	closeClient(t, c)

	assert.Len(t, srv.Events(), 20, "every error is delivered")
	_, logs := logItems(t, srv)
	assert.Zero(t, logs, "no log reaches the server while limited")
	s := c.Stats()
	assert.Equal(t, uint64(20), s.Delivered)
	assert.Equal(t, uint64(30), s.Categories["log_item"].Dropped[raven.DropRateLimit])
	assert.Zero(t, s.Categories["log_item"].Pending)
	reported := 0
	for _, r := range srv.ClientReports() {
		for _, d := range r.Discarded {
			assert.Equal(t, "log_item", d.Category)
			assert.Equal(t, "ratelimit_backoff", d.Reason)
			reported += d.Quantity
		}
	}
	assert.Equal(t, 20, reported, "the 429's own drops are known to the server; the 20 refused later are reported")
}

// A flood of logs at ten times what the server takes never delays or
// drops an error: every error is delivered, and the logs that did not fit
// their own bounded queue are dropped and counted.
func TestErrorsFirstUnderALogFlood(t *testing.T) {
	srv := raventest.NewServer(t, raventest.WithLatency(time.Millisecond))
	c, err := raven.New(raven.WithDSN(srv.DSN()), raven.WithQueueLimit("log_item", 500, 1<<20))
	require.NoError(t, err)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			raven.EnqueueItem(c, "log_item", logPayload(i))
		}
	}()
	for i := range 300 {
		c.CaptureException(fmt.Errorf("error %d", i))
		if i%30 == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	close(stop)
	wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, c.Close(ctx))

	s := c.Stats()
	assert.Equal(t, uint64(300), s.Delivered, "every error is delivered: %+v", s)
	assert.Zero(t, s.DroppedTotal())
	logs := s.Categories["log_item"]
	assert.Positive(t, logs.Dropped[raven.DropQueueOverflow], "the flood's excess is dropped and counted")
	var dropped uint64
	for _, n := range logs.Dropped {
		dropped += n
	}
	assert.Equal(t, logs.Captured, logs.Delivered+dropped, "every log is delivered or dropped")
}

func TestQueueLimitOptionErrors(t *testing.T) {
	_, err := raven.New(raven.WithDSN("https://k@o.example.com/1"), raven.WithQueueLimit("bogus", 1, 1))
	assert.ErrorContains(t, err, `no queue for category "bogus"`)
	_, err = raven.New(raven.WithDSN("https://k@o.example.com/1"), raven.WithQueueLimit("span", 0, 1))
	assert.ErrorContains(t, err, "span queue")
	defaults := raven.DefaultQueueLimits()
	assert.Equal(t, raven.QueueLimit{Items: raven.DefaultQueueSize, Bytes: raven.DefaultQueueBytes}, defaults["error"])
	for _, cat := range []string{"monitor", "session", "feedback", "attachment", "transaction", "span", "log_item"} {
		assert.Positive(t, defaults[cat].Items, cat)
		assert.Positive(t, defaults[cat].Bytes, cat)
	}
}
