package raven_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/ravenkit/raven"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// captureWhileSampling captures n events from 4 goroutines while another
// reads Stats and checks its balance at every read.
func captureWhileSampling(t *testing.T, c *raven.Client, n int) {
	t.Helper()
	stop := make(chan struct{})
	started, sampled := make(chan struct{}), make(chan int)
	go func() {
		reads := 0
		for {
			st := c.Stats()
			if st.Pending < 0 || st.Stored < 0 {
				t.Errorf("negative gauge: %+v", st)
			}
			checkBalance(t, st)
			if reads++; reads == 1 {
				close(started) // the captures start once the sampler runs
			}
			select {
			case <-stop:
				sampled <- reads
				return
			default:
			}
		}
	}()
	<-started
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < n/4; i++ {
				c.CaptureMessage("balance")
			}
		}()
	}
	wg.Wait()
	close(stop)
	assert.Greater(t, <-sampled, 1, "Stats read again after the captures started")
}

// Every event the client took charge of is delivered, dropped, pending or
// stored, with or without an outbox, with the server down then up, and
// across a restart: Captured + Restored == Delivered + Dropped + Pending +
// Stored + TakenOver.
func TestStatsBalance(t *testing.T) {
	const n = 200
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	t.Run("no outbox, server up", func(t *testing.T) {
		srv := publicServer(t)
		c, err := raven.New(raven.WithDSN(srv.DSN()))
		require.NoError(t, err)
		captureWhileSampling(t, c, n)
		require.NoError(t, c.Flush(ctx))
		st := c.Stats()
		assert.EqualValues(t, n, st.Delivered)
		assert.Zero(t, st.Pending)
		checkBalance(t, st)
		require.NoError(t, c.Close(ctx))
	})
	t.Run("no outbox, server down", func(t *testing.T) {
		c, err := raven.New(raven.WithDSN(deadDSN(t)), raven.WithTransport(downTransport{}))
		require.NoError(t, err)
		captureWhileSampling(t, c, n)
		require.NoError(t, c.Flush(ctx))
		st := c.Stats()
		assert.EqualValues(t, n, st.Dropped[raven.DropNetworkError])
		assert.Zero(t, st.Pending)
		assert.Zero(t, st.Stored)
		checkBalance(t, st)
		require.NoError(t, c.Close(ctx))
	})
	t.Run("outbox, server down then up, then a restart", func(t *testing.T) {
		srv := publicServer(t)
		srv.RespondWith(http.StatusServiceUnavailable, nil)
		dir := t.TempDir()
		c, err := raven.New(raven.WithDSN(srv.DSN()), raven.WithOutbox(dir, raven.WithOutboxBackoff(time.Hour, time.Hour)))
		require.NoError(t, err)
		captureWhileSampling(t, c, n)
		require.NoError(t, c.Flush(ctx))
		st := c.Stats()
		assert.Equal(t, n, st.Stored, "nil from Flush: every event is on disk when not delivered: %+v", st)
		assert.Zero(t, st.Pending)
		assert.Zero(t, st.Delivered)
		checkBalance(t, st)
		require.NoError(t, c.Close(ctx))
		checkBalance(t, c.Stats())

		// a restart with the server back: the events on disk are restored
		// and delivered, and the new client's counters balance too
		srv.RespondWith(0, nil)
		next, err := raven.New(raven.WithDSN(srv.DSN()), raven.WithOutbox(dir, fastBackoff()))
		require.NoError(t, err)
		captureWhileSampling(t, next, n)
		waitFor(t, 20*time.Second, func() bool {
			st := next.Stats()
			checkBalance(t, st)
			return st.Delivered == 2*n
		}, "stored and new events delivered")
		require.NoError(t, next.Close(ctx))
		st = next.Stats()
		assert.EqualValues(t, n, st.Captured)
		assert.EqualValues(t, n, st.Restored)
		assert.EqualValues(t, 2*n, st.Delivered)
		assert.Zero(t, st.Stored)
		assert.Zero(t, st.Pending)
		checkBalance(t, st)
		assert.Empty(t, outboxFiles(t, dir))
	})
}
