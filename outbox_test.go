package raven_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/raventest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// deadDSN is a DSN whose server refuses connections.
func deadDSN(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return "http://public@" + addr + "/42"
}

func outboxFiles(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range ents {
		// stored envelopes, including one being re-sent right now (claimed)
		if n := e.Name(); !strings.HasPrefix(n, ".") && (strings.HasSuffix(n, ".env") || strings.Contains(n, ".env.claim-")) {
			out = append(out, e.Name())
		}
	}
	return out
}

func eventIDs(evs []*raven.Event) []string {
	ids := make([]string, 0, len(evs))
	for _, e := range evs {
		ids = append(ids, string(e.EventID))
	}
	sort.Strings(ids)
	return ids
}

func waitFor(t *testing.T, d time.Duration, cond func() bool, msg string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", msg)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// downTransport fails every send at once as a network error, like a
// transport whose server is unreachable but without its retry waits.
type downTransport struct{}

func (downTransport) Send(context.Context, []*raven.Envelope) error {
	return &raven.DropError{Reason: raven.DropNetworkError, Err: errors.New("connection refused")}
}
func (downTransport) Flush(context.Context) error { return nil }
func (downTransport) Close(context.Context) error { return nil }

func fastBackoff() raven.OutboxOption {
	return raven.WithOutboxBackoff(10*time.Millisecond, 50*time.Millisecond)
}

func TestOutboxServerDownThenBack(t *testing.T) {
	srv := raventest.NewServer(t)
	srv.RespondWith(http.StatusServiceUnavailable, nil)
	dir := t.TempDir()
	c, err := raven.New(raven.WithDSN(srv.DSN()), raven.WithOutbox(dir, fastBackoff()))
	require.NoError(t, err)
	defer c.Close(context.Background())

	const n = 8
	var want []string
	for i := 0; i < n; i++ {
		id := c.CaptureMessage("during outage")
		require.NotEmpty(t, id)
		want = append(want, string(id))
	}
	sort.Strings(want)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, c.Flush(ctx))
	st := c.Stats()
	assert.Zero(t, st.Delivered)
	assert.Zero(t, st.DroppedTotal(), "stored events are not dropped: %v", st.Dropped)
	assert.Len(t, outboxFiles(t, dir), n)
	assert.Empty(t, srv.Events())

	srv.RespondWith(0, nil) // the server is back
	evs, err := srv.WaitForEvents(ctx, n)
	require.NoError(t, err)
	waitFor(t, 5*time.Second, func() bool { return c.Stats().Delivered == n }, "delivered count")
	require.NoError(t, c.Close(ctx))
	evs = srv.Events()
	assert.Equal(t, want, eventIDs(evs), "every event exactly once")
	assert.Empty(t, outboxFiles(t, dir))
	st = c.Stats()
	assert.EqualValues(t, n, st.Delivered)
	assert.Zero(t, st.DroppedTotal())
}

func TestOutboxNextStart(t *testing.T) {
	dir := t.TempDir()
	down, err := raven.New(raven.WithDSN(deadDSN(t)), raven.WithOutbox(dir, fastBackoff()))
	require.NoError(t, err)
	var want []string
	for i := 0; i < 5; i++ {
		want = append(want, string(down.CaptureException(io.ErrUnexpectedEOF)))
	}
	sort.Strings(want)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, down.Close(ctx))
	assert.Len(t, outboxFiles(t, dir), 5)
	assert.Zero(t, down.Stats().DroppedTotal())

	srv := raventest.NewServer(t)
	next, err := raven.New(raven.WithDSN(srv.DSN()), raven.WithOutbox(dir, fastBackoff()))
	require.NoError(t, err)
	_, err = srv.WaitForEvents(ctx, 5)
	require.NoError(t, err)
	waitFor(t, 5*time.Second, func() bool { return next.Stats().Delivered == 5 }, "delivered at next start")
	require.NoError(t, next.Close(ctx))
	assert.Equal(t, want, eventIDs(srv.Events()))
	assert.Empty(t, outboxFiles(t, dir))
}

func TestOutboxEvictionCounted(t *testing.T) {
	dir := t.TempDir()
	var mu sync.Mutex
	evicted := 0
	c, err := raven.New(raven.WithDSN(deadDSN(t)), raven.WithTransport(downTransport{}), raven.WithSenders(1),
		raven.WithOutbox(dir, raven.WithOutboxLimits(3, 0), raven.WithOutboxBackoff(time.Hour, time.Hour)),
		raven.WithOnDrop(func(d raven.Drop) {
			if d.Reason == raven.DropCacheOverflow {
				mu.Lock()
				evicted += d.Count
				mu.Unlock()
			}
		}))
	require.NoError(t, err)
	var ids []string
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := 0; i < 10; i++ {
		ids = append(ids, string(c.CaptureMessage("m")))
		require.NoError(t, c.Flush(ctx)) // one at a time: files in capture order
	}
	require.NoError(t, c.Close(ctx))
	assert.Len(t, outboxFiles(t, dir), 3)
	assert.EqualValues(t, 7, c.Stats().Dropped[raven.DropCacheOverflow])
	mu.Lock()
	assert.Equal(t, 7, evicted)
	mu.Unlock()

	// the newest three survive and are delivered
	srv := raventest.NewServer(t)
	res, err := raven.FlushOutbox(ctx, dir, srv.DSN())
	require.NoError(t, err)
	assert.Equal(t, raven.OutboxResult{Delivered: 3}, res)
	want := append([]string(nil), ids[7:]...)
	sort.Strings(want)
	assert.Equal(t, want, eventIDs(srv.Events()))
}

func TestOutboxCloseStoresQueuedEvents(t *testing.T) {
	dir := t.TempDir()
	srv := raventest.NewServer(t)
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hang.Close()
	defer close(release)
	dsn := "http://public@" + strings.TrimPrefix(hang.URL, "http://") + "/42"
	c, err := raven.New(raven.WithDSN(dsn), raven.WithSenders(1), raven.WithOutbox(dir, fastBackoff()))
	require.NoError(t, err)
	var want []string
	for i := 0; i < 8; i++ {
		want = append(want, string(c.CaptureMessage("queued")))
	}
	sort.Strings(want)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	assert.Error(t, c.Close(ctx)) // the queue did not drain in time
	st := c.Stats()
	assert.Zero(t, st.DroppedTotal(), "queued events go to the outbox: %v", st.Dropped)
	assert.Len(t, outboxFiles(t, dir), 8)

	res, err := raven.FlushOutbox(context.Background(), dir, srv.DSN())
	require.NoError(t, err)
	assert.Equal(t, 8, res.Delivered)
	assert.Equal(t, want, eventIDs(srv.Events()))
}

func TestOutboxSharedDirectoryDeliversOnce(t *testing.T) {
	dir := t.TempDir()
	down, err := raven.New(raven.WithDSN(deadDSN(t)), raven.WithTransport(downTransport{}),
		raven.WithOutbox(dir, raven.WithOutboxBackoff(time.Hour, time.Hour)))
	require.NoError(t, err)
	const n = 40
	for i := 0; i < n; i++ {
		down.CaptureMessage("shared")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, down.Close(ctx))
	require.Len(t, outboxFiles(t, dir), n)

	srv := raventest.NewServer(t)
	var wg sync.WaitGroup
	var total atomic.Int64
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := raven.FlushOutbox(ctx, dir, srv.DSN())
			assert.NoError(t, err)
			total.Add(int64(res.Delivered))
		}()
	}
	wg.Wait()
	assert.EqualValues(t, n, total.Load())
	ids := eventIDs(srv.Events())
	assert.Len(t, ids, n)
	for i := 1; i < len(ids); i++ {
		assert.NotEqual(t, ids[i-1], ids[i], "delivered twice")
	}
	assert.Empty(t, outboxFiles(t, dir))
}

func TestOutboxPermanentErrorsNotStored(t *testing.T) {
	srv := raventest.NewServer(t)
	srv.RespondWith(http.StatusBadRequest, nil)
	dir := t.TempDir()
	c, err := raven.New(raven.WithDSN(srv.DSN()), raven.WithOutbox(dir, fastBackoff()))
	require.NoError(t, err)
	c.CaptureMessage("rejected")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, c.Close(ctx))
	assert.Empty(t, outboxFiles(t, dir))
	assert.EqualValues(t, 1, c.Stats().Dropped[raven.DropSendError])
}

func TestOutboxBadInput(t *testing.T) {
	_, err := raven.New(raven.WithDSN("http://k@127.0.0.1:1/1"), raven.WithOutbox(""))
	assert.Error(t, err)
	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	_, err = raven.New(raven.WithDSN("http://k@127.0.0.1:1/1"), raven.WithOutbox(filepath.Join(file, "sub")))
	assert.Error(t, err)
	_, err = raven.FlushOutbox(context.Background(), filepath.Join(t.TempDir(), "missing"), "")
	assert.Error(t, err)

	// garbage files are removed, not sent, and do not stop the others
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "00000000000000000001-1-aa-1.env"), []byte("not an envelope"), 0o600))
	srv := raventest.NewServer(t)
	res, err := raven.FlushOutbox(context.Background(), dir, srv.DSN())
	require.NoError(t, err)
	assert.Equal(t, raven.OutboxResult{}, res)
	assert.Empty(t, outboxFiles(t, dir))
}

func TestFlushOutboxKeepsEnvelopesWithoutDSN(t *testing.T) {
	dir := t.TempDir()
	env := &raven.Envelope{Header: raven.EnvelopeHeader{EventID: raven.NewEventID()},
		Items: []raven.EnvelopeItem{{Type: raven.ItemEvent, Payload: []byte(`{"event_id":"` + "0123456789abcdef0123456789abcdef" + `"}`), Events: 1}}}
	b, err := env.Bytes()
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "00000000000000000001-1-aa-1.env"), b, 0o600))
	res, err := raven.FlushOutbox(context.Background(), dir, "")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "DSN")
	assert.Equal(t, raven.OutboxResult{Left: 1}, res)

	srv := raventest.NewServer(t)
	res, err = raven.FlushOutbox(context.Background(), dir, srv.DSN())
	require.NoError(t, err)
	assert.Equal(t, raven.OutboxResult{Delivered: 1}, res)
	require.Len(t, srv.Events(), 1)
}
