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

// publicServer is a receiver whose DSN has the public key and project of
// deadDSN: envelopes stored for deadDSN are written for it.
func publicServer(t *testing.T) *raventest.Server {
	return raventest.NewServer(t, raventest.WithKey("public"))
}

// deadDSN is a DSN whose server refuses connections.
func deadDSN(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return "http://public@" + addr + "/42"
}

func outboxFiles(t testing.TB, dir string) []string {
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

func waitFor(t testing.TB, d time.Duration, cond func() bool, msg string) {
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
	srv := publicServer(t)
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
	assert.Equal(t, n, st.Stored, "every event is on disk")
	assert.NotEmpty(t, outboxFiles(t, dir))
	assert.Empty(t, srv.Events())

	srv.RespondWith(0, nil) // the server is back
	_, err = srv.WaitForEvents(ctx, n)
	require.NoError(t, err)
	waitFor(t, 5*time.Second, func() bool { return c.Stats().Delivered == n }, "delivered count")
	require.NoError(t, c.Close(ctx))
	assert.Equal(t, want, eventIDs(srv.Events()), "every event exactly once")
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
	assert.Equal(t, 5, down.Stats().Stored)
	assert.NotEmpty(t, outboxFiles(t, dir))
	assert.Zero(t, down.Stats().DroppedTotal())

	srv := publicServer(t)
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
	srv := publicServer(t)
	res, err := raven.FlushOutbox(ctx, dir, srv.DSN())
	require.NoError(t, err)
	assert.Equal(t, raven.OutboxResult{Delivered: 3}, res)
	want := append([]string(nil), ids[7:]...)
	sort.Strings(want)
	assert.Equal(t, want, eventIDs(srv.Events()))
}

func TestOutboxCloseStoresQueuedEvents(t *testing.T) {
	dir := t.TempDir()
	srv := publicServer(t)
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
	assert.Equal(t, 8, st.Stored)
	assert.NotEmpty(t, outboxFiles(t, dir))

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
	require.Equal(t, n, down.Stats().Stored)
	require.NotEmpty(t, outboxFiles(t, dir))

	srv := publicServer(t)
	var wg sync.WaitGroup
	var total atomic.Int64
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := raven.FlushOutbox(ctx, dir, srv.DSN())
			if err != nil {
				// files another flusher held at that moment are reported,
				// never taken
				assert.ErrorIs(t, err, raven.ErrOutboxIncomplete)
				assert.Positive(t, res.Busy)
				assert.Zero(t, res.SetAside)
			}
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
	srv := publicServer(t)
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

	// a garbage file is set aside in quarantine, not sent, and does not
	// stop the others
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "00000000000000000001-1-aa-1.env"), []byte("not an envelope"), 0o600))
	srv := publicServer(t)
	res, err := raven.FlushOutbox(context.Background(), dir, srv.DSN())
	require.ErrorIs(t, err, raven.ErrOutboxIncomplete)
	assert.Equal(t, raven.OutboxResult{SetAside: 1}, res)
	assert.Empty(t, outboxFiles(t, dir))
	assert.FileExists(t, filepath.Join(dir, "quarantine", "00000000000000000001-1-aa-1.env"))
}

// storedEnvelope is the wire form of an envelope with one event, written
// for dsn ("" records none).
func storedEnvelope(t *testing.T, dsn string) ([]byte, raven.EventID) {
	t.Helper()
	id := raven.NewEventID()
	env := &raven.Envelope{Header: raven.EnvelopeHeader{EventID: id, DSN: dsn},
		Items: []raven.EnvelopeItem{{Type: raven.ItemEvent, Payload: []byte(`{"event_id":"` + string(id) + `","platform":"go","level":"error","timestamp":"2026-01-01T00:00:00Z"}`), Events: 1}}}
	b, err := env.Bytes()
	require.NoError(t, err)
	return b, id
}

// FlushOutbox sends to the DSN it is given, only the envelopes written for
// it; others stay where they are and are reported.
func TestFlushOutboxOnlyForItsDSN(t *testing.T) {
	srv := publicServer(t)
	dir := t.TempDir()
	mine, id := storedEnvelope(t, strings.Replace(srv.DSN(), "127.0.0.1", "localhost", 1)) // the server moved
	noDSN, _ := storedEnvelope(t, "")
	other, _ := storedEnvelope(t, "http://otherkey@127.0.0.1:1/42")
	otherProject, _ := storedEnvelope(t, "http://public@127.0.0.1:1/43")
	for name, b := range map[string][]byte{"1-mine.env": mine, "2-nodsn.env": noDSN, "3-other.env": other, "4-project.env": otherProject} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o600))
	}
	_, err := raven.FlushOutbox(context.Background(), dir, "")
	require.Error(t, err, "a DSN is required")
	assert.Contains(t, err.Error(), "DSN")

	res, err := raven.FlushOutbox(context.Background(), dir, srv.DSN())
	require.ErrorIs(t, err, raven.ErrOutboxIncomplete)
	assert.Equal(t, raven.OutboxResult{Delivered: 1, Left: 3, SetAside: 3}, res)
	require.Len(t, srv.Events(), 1)
	assert.Equal(t, id, srv.Events()[0].EventID)
	assert.Equal(t, []string{"2-nodsn.env", "3-other.env", "4-project.env"}, outboxFiles(t, dir))
}

// checkBalance asserts the invariant of Stats.
func checkBalance(t testing.TB, st raven.Stats) {
	t.Helper()
	assert.Equal(t, st.Captured+st.Restored, st.Delivered+st.DroppedTotal()+uint64(st.Pending)+uint64(st.Stored)+st.TakenOver,
		"Captured+Restored == Delivered+Dropped+Pending+Stored+TakenOver: %+v", st)
}

// Envelopes planted in the outbox for another DSN, or without one, are not
// sent with the client's credentials nor counted as delivered: they are
// left in place and counted as set aside.
func TestOutboxSendsOnlyItsOwnEnvelopes(t *testing.T) {
	srv := publicServer(t)
	dir := t.TempDir()
	planted := map[string]string{
		"00000000000000000001-1-a.env": "http://attacker@127.0.0.1:1/42",
		"00000000000000000002-1-b.env": "",
		"00000000000000000003-1-c.env": "http://public@127.0.0.1:1/7",
	}
	for name, dsn := range planted {
		b, _ := storedEnvelope(t, dsn)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o600))
	}
	c, err := raven.New(raven.WithDSN(srv.DSN()), raven.WithOutbox(dir, fastBackoff()))
	require.NoError(t, err)
	id := c.CaptureMessage("mine")
	waitFor(t, 5*time.Second, func() bool {
		st := c.Stats()
		return st.Delivered == 1 && st.SetAside[raven.SetAsideForeign] == 3
	}, "own event delivered, planted ones set aside")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, c.Close(ctx))
	require.Len(t, srv.Events(), 1)
	assert.Equal(t, id, srv.Events()[0].EventID)
	st := c.Stats()
	assert.EqualValues(t, 1, st.Delivered)
	assert.Zero(t, st.Restored)
	assert.Len(t, outboxFiles(t, dir), 3, "planted files are left where they are")
	checkBalance(t, st)
}

// Counts come from a file's content, never from its name: a file named as
// if it held 999,999,999 events counts the one it holds, whether it is
// delivered or evicted.
func TestOutboxCountsFromContent(t *testing.T) {
	srv := publicServer(t)
	const name = "00000000000000000001-1-aa-999999999.env"

	t.Run("delivered", func(t *testing.T) {
		dir := t.TempDir()
		b, _ := storedEnvelope(t, srv.DSN())
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o600))
		c, err := raven.New(raven.WithDSN(srv.DSN()), raven.WithOutbox(dir, fastBackoff()))
		require.NoError(t, err)
		waitFor(t, 5*time.Second, func() bool { return c.Stats().Delivered == 1 }, "delivered")
		require.NoError(t, c.Close(context.Background()))
		st := c.Stats()
		assert.EqualValues(t, 1, st.Restored)
		assert.EqualValues(t, 1, st.Delivered)
		checkBalance(t, st)
	})
	t.Run("evicted", func(t *testing.T) {
		dir := t.TempDir()
		b, _ := storedEnvelope(t, deadDSN(t))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o600))
		c, err := raven.New(raven.WithDSN(deadDSN(t)), raven.WithTransport(downTransport{}),
			raven.WithOutbox(dir, raven.WithOutboxLimits(1, 0), raven.WithOutboxBackoff(time.Hour, time.Hour)))
		require.NoError(t, err)
		c.CaptureMessage("pushes the planted file out")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		require.NoError(t, c.Close(ctx))
		st := c.Stats()
		assert.EqualValues(t, 1, st.Dropped[raven.DropCacheOverflow])
		assert.EqualValues(t, 1, st.Restored)
		assert.Equal(t, 1, st.Stored)
		checkBalance(t, st)
	})
}

// With the server down, captures reach the disk while the transport is
// still retrying its first sends: write-ahead, not store-after-failure.
func TestOutboxWritesAheadOfDelivery(t *testing.T) {
	dir := t.TempDir()
	c, err := raven.New(raven.WithDSN(deadDSN(t)), raven.WithOutbox(dir, raven.WithOutboxBackoff(time.Hour, time.Hour)))
	require.NoError(t, err)
	const n = 100
	for i := 0; i < n; i++ {
		c.CaptureMessage("during an outage")
	}
	// The transport spends over a second on the retries of each of its
	// first sends; the events are on disk long before.
	start := time.Now()
	waitFor(t, time.Second, func() bool { return c.Stats().Stored == n }, "every event stored")
	t.Logf("%d events on disk %v after the last capture", n, time.Since(start).Round(time.Millisecond))
	assert.NotEmpty(t, outboxFiles(t, dir))
	checkBalance(t, c.Stats())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, c.Close(ctx))
	st := c.Stats()
	assert.Equal(t, n, st.Stored)
	assert.Zero(t, st.DroppedTotal())
	checkBalance(t, st)
}
