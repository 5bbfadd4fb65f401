package outbox_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/internal/delivery"
	"github.com/ravenkit/raven/internal/outbox"
	"github.com/ravenkit/raven/internal/protocol"
	"github.com/ravenkit/raven/raventest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// counts is a Ledger that keeps its counts.
type counts struct {
	mu                                                  sync.Mutex
	spooled, restored, storedDelivered, delivered, took int
	dropped                                             map[delivery.DropReason]int
	setAside                                            map[delivery.SetAsideReason]int
}

func newCounts() *counts {
	return &counts{dropped: map[delivery.DropReason]int{}, setAside: map[delivery.SetAsideReason]int{}}
}

func (c *counts) add(f func()) { c.mu.Lock(); f(); c.mu.Unlock() }

func (c *counts) Spooled(n int)         { c.add(func() { c.spooled += n }) }
func (c *counts) Restored(n int)        { c.add(func() { c.restored += n }) }
func (c *counts) StoredDelivered(n int) { c.add(func() { c.storedDelivered += n }) }
func (c *counts) StoredDropped(d delivery.Drop, _ bool) {
	c.add(func() { c.dropped[d.Reason] += d.Count })
}
func (c *counts) Delivered(n int) { c.add(func() { c.delivered += n }) }
func (c *counts) Dropped(d delivery.Drop, _ bool) {
	c.add(func() { c.dropped[d.Reason] += d.Count })
}
func (c *counts) StoredTakenOver(n int)              { c.add(func() { c.took += n }) }
func (c *counts) SetAside(r delivery.SetAsideReason) { c.add(func() { c.setAside[r]++ }) }

func (c *counts) snapshot() counts {
	c.mu.Lock()
	defer c.mu.Unlock()
	return counts{spooled: c.spooled, restored: c.restored, storedDelivered: c.storedDelivered, delivered: c.delivered, took: c.took}
}

func envelope(t *testing.T, dsn *protocol.DSN) *protocol.Envelope {
	t.Helper()
	id := protocol.NewEventID()
	return &protocol.Envelope{Header: protocol.EnvelopeHeader{EventID: id, DSN: dsn.String()},
		Items: []protocol.EnvelopeItem{{Type: protocol.ItemEvent, Payload: []byte(`{"event_id":"` + string(id) + `","message":{"formatted":"m"}}`), Events: 1}}}
}

// An envelope written ahead while the server is down stays on disk, and a
// later pass of another outbox over the directory delivers it.
func TestWriteAheadThenFlushOnce(t *testing.T) {
	srv := raventest.NewServer(t)
	dsn, err := protocol.ParseDSN(srv.DSN())
	require.NoError(t, err)
	tr, err := raven.NewHTTPTransport(dsn, raven.WithRetries(1, time.Second))
	require.NoError(t, err)
	defer tr.Close(context.Background())
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir := t.TempDir()
	cfg := outbox.Config{Dir: dir, MaxFiles: 10, MaxBytes: 1 << 20, MinBackoff: time.Hour, MaxBackoff: time.Hour}

	srv.RespondWith(503, nil) // down
	acct := newCounts()
	o, err := outbox.New(cfg, tr, acct, log, dsn, 1)
	require.NoError(t, err)
	o.Start()
	require.True(t, o.WriteAhead(envelope(t, dsn), nil, nil))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, o.Close(ctx))
	assert.Equal(t, 1, acct.snapshot().spooled)
	assert.Equal(t, 1, o.Left(), "the envelope is on disk")
	assert.Zero(t, acct.snapshot().storedDelivered)

	srv.RespondWith(0, nil) // back
	acct2 := newCounts()
	o2, err := outbox.New(cfg, tr, acct2, log, dsn, 1)
	require.NoError(t, err)
	res := o2.FlushOnce(ctx)
	assert.False(t, res.Failed)
	got := acct2.snapshot()
	assert.Equal(t, 1, got.restored)
	assert.Equal(t, 1, got.storedDelivered)
	assert.Zero(t, o2.Left())
	assert.Len(t, srv.Events(), 1)
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		assert.True(t, e.IsDir(), "only the quarantine directory may remain: %s", e.Name())
	}
}
