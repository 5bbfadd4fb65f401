package raven_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
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

// concurrencyServer answers every request after latency, or while a gate
// is set once it is opened, and records how many requests it held at once.
type concurrencyServer struct {
	*httptest.Server
	cur, peak, requests atomic.Int64
	conns               atomic.Int64 // connections accepted
	gate                atomic.Pointer[chan struct{}]
}

// hold makes requests wait until the returned function is called.
func (s *concurrencyServer) hold() (open func()) {
	g := make(chan struct{})
	s.gate.Store(&g)
	return func() {
		s.gate.Store(nil)
		close(g)
	}
}

// holding checks that the server comes to hold exactly n requests and
// stays there a moment: the client sends n at a time, no more.
func (s *concurrencyServer) holding(t *testing.T, n int64) {
	t.Helper()
	require.Eventually(t, func() bool { return s.cur.Load() == n }, 10*time.Second, time.Millisecond,
		"%d requests held, want %d", s.cur.Load(), n)
	time.Sleep(50 * time.Millisecond)
	assert.Equal(t, n, s.cur.Load())
	assert.Equal(t, n, s.peak.Load())
}

func newConcurrencyServer(t *testing.T, latency time.Duration) *concurrencyServer {
	s := &concurrencyServer{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := s.cur.Add(1)
		defer s.cur.Add(-1)
		for {
			p := s.peak.Load()
			if n <= p || s.peak.CompareAndSwap(p, n) {
				break
			}
		}
		_, _ = io.Copy(io.Discard, r.Body)
		var gate chan struct{} // nil: never ready
		var after <-chan time.Time
		if g := s.gate.Load(); g != nil {
			gate = *g
		} else {
			after = time.After(latency)
		}
		select {
		case <-gate:
		case <-after:
		case <-r.Context().Done():
		}
		s.requests.Add(1)
		_, _ = io.WriteString(w, `{}`)
	}))
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	return s
}

func (s *concurrencyServer) DSN() string {
	return "http://key@" + strings.TrimPrefix(s.URL, "http://") + "/1"
}

// waitSenders waits up to a few seconds for c to run want senders, and
// returns the last count.
func waitSenders(c *raven.Client, want int) int {
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := c.Stats().Senders
		if n == want || time.Now().After(deadline) {
			return n
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestSendersGrowWhileABacklogWaits(t *testing.T) {
	srv := newConcurrencyServer(t, time.Millisecond)
	c, err := raven.New(raven.WithDSN(srv.DSN()))
	require.NoError(t, err)
	open := srv.hold()
	const n = 200
	for i := range n {
		c.CaptureException(fmt.Errorf("burst %d", i))
	}
	// a backlog is sent by more than the base senders, up to the default
	srv.holding(t, raven.DefaultSenders)
	assert.Equal(t, raven.DefaultSenders, c.Stats().Senders)
	open()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, c.Flush(ctx))
	assert.Equal(t, uint64(n), c.Stats().Delivered)
	assert.Equal(t, int64(n), srv.requests.Load())
	assert.Equal(t, raven.BaseSenders, waitSenders(c, raven.BaseSenders), "extra senders exit once the queue is empty")
	closeClient(t, c)
	assert.Zero(t, c.Stats().Senders)
}

func TestMaxSendersBoundsConcurrentRequests(t *testing.T) {
	for _, senders := range []int{1, 3, raven.BaseSenders + 2} {
		t.Run(fmt.Sprint(senders), func(t *testing.T) {
			srv := newConcurrencyServer(t, time.Millisecond)
			c, err := raven.New(raven.WithDSN(srv.DSN()), raven.WithSenders(senders))
			require.NoError(t, err)
			open := srv.hold()
			const n = 40
			for i := range n {
				c.CaptureException(fmt.Errorf("burst %d", i))
			}
			srv.holding(t, int64(senders)) // a backlog is sent WithSenders requests at a time
			open()
			closeClient(t, c)
			assert.Equal(t, uint64(n), c.Stats().Delivered)
			assert.Equal(t, int64(senders), srv.peak.Load())
		})
	}
}

func TestQuietClientKeepsItsBaseSenders(t *testing.T) {
	srv := newConcurrencyServer(t, 0)
	c, err := raven.New(raven.WithDSN(srv.DSN()))
	require.NoError(t, err)
	for i := range 20 {
		c.CaptureException(errors.New("one at a time"))
		require.NoError(t, c.Flush(context.Background()), "event %d", i)
	}
	assert.Equal(t, int64(1), srv.peak.Load(), "no backlog, no extra sender")
	assert.Equal(t, raven.BaseSenders, c.Stats().Senders)
	closeClient(t, c)
}

func TestCloseStopsExtraSendersMidBacklog(t *testing.T) {
	srv := newConcurrencyServer(t, time.Hour) // never answers on its own
	c, err := raven.New(raven.WithDSN(srv.DSN()), raven.WithSenders(8))
	require.NoError(t, err)
	const n = 50
	for i := range n {
		c.CaptureException(fmt.Errorf("stuck %d", i))
	}
	require.Eventually(t, func() bool { return srv.cur.Load() == 8 }, 5*time.Second, time.Millisecond,
		"eight requests in flight")
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, c.Close(ctx), context.DeadlineExceeded)
	assert.Zero(t, c.Stats().Senders, "every sender stopped")
	st := c.Stats()
	assert.Equal(t, uint64(n), st.Delivered+st.DroppedTotal(), "every event delivered or counted: %+v", st)
}

func TestFlushWithAnElasticPoolUnderConcurrentCaptures(t *testing.T) {
	srv := newConcurrencyServer(t, 2*time.Millisecond)
	c, err := raven.New(raven.WithDSN(srv.DSN()), raven.WithSenders(8))
	require.NoError(t, err)
	const writers, perWriter = 8, 60
	var wg sync.WaitGroup
	var returned atomic.Uint64 // captures whose call has returned: enqueued
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				c.CaptureException(fmt.Errorf("writer %d event %d", w, i))
				returned.Add(1)
				if i%7 == 0 {
					time.Sleep(time.Millisecond) // bursts and lulls: senders come and go
				}
			}
		})
	}
	// Flush must wait for every event captured before it was called,
	// whichever sender, base or extra, carries it.
	for range 4 {
		wg.Go(func() {
			for range 10 {
				before := returned.Load()
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				err := c.Flush(ctx)
				cancel()
				if !assert.NoError(t, err) {
					return
				}
				st := c.Stats()
				assert.GreaterOrEqual(t, st.Delivered+st.DroppedTotal(), before)
			}
		})
	}
	wg.Wait()
	closeClient(t, c)
	st := c.Stats()
	assert.Equal(t, uint64(writers*perWriter), st.Captured)
	assert.Equal(t, uint64(writers*perWriter), st.Delivered, "dropped: %v", st.Dropped)
	assert.Equal(t, int64(writers*perWriter), srv.requests.Load())
	assert.LessOrEqual(t, srv.peak.Load(), int64(8))
	assert.Zero(t, c.Stats().Senders)
}

func TestConnectionsOutliveABurst(t *testing.T) {
	// Each burst is sent 32 requests at a time: the second reuses the
	// first's connections instead of dialing again.
	srv := newConcurrencyServer(t, time.Millisecond)
	c, err := raven.New(raven.WithDSN(srv.DSN()), raven.WithSenders(32))
	require.NoError(t, err)
	for burst := range 2 {
		open := srv.hold()
		for i := range 64 {
			c.CaptureException(fmt.Errorf("burst %d event %d", burst, i))
		}
		srv.holding(t, 32)
		open()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		require.NoError(t, c.Flush(ctx))
		cancel()
	}
	closeClient(t, c)
	assert.Equal(t, uint64(128), c.Stats().Delivered)
	// A connection is back in the idle pool only once its response is read
	// to the end, a moment after the request returns: a sender that is
	// quicker dials one more. With an idle pool of 16 the second burst
	// dials some 16 again.
	assert.Less(t, srv.conns.Load(), int64(40), "connections dialed for two bursts of 32 at a time")
}

// Without WithSenders the concurrency grows past DefaultSenders while a
// healthy server answers a backlog, and never past DefaultMaxSenders; a
// server answering 503 keeps it down.
func TestDefaultSendersAdapt(t *testing.T) {
	t.Run("healthy", func(t *testing.T) {
		srv := newConcurrencyServer(t, 5*time.Millisecond)
		c, err := raven.New(raven.WithDSN(srv.DSN()))
		require.NoError(t, err)
		const n = 1500
		for i := range n {
			c.CaptureException(fmt.Errorf("burst %d", i))
		}
		closeClient(t, c)
		assert.Equal(t, uint64(n), c.Stats().Delivered)
		assert.Greater(t, srv.peak.Load(), int64(raven.DefaultSenders), "the ceiling grew")
		assert.LessOrEqual(t, srv.peak.Load(), int64(raven.DefaultMaxSenders))
	})
	t.Run("failing", func(t *testing.T) {
		srv := raventest.NewServer(t)
		srv.RespondWith(503, nil)
		c, err := raven.New(raven.WithDSN(srv.DSN()), raven.WithHTTPTransportOptions(raven.WithRetries(1, time.Second)))
		require.NoError(t, err)
		const n = 300
		for i := range n {
			c.CaptureException(fmt.Errorf("burst %d", i))
		}
		peak := 0
		for range 50 {
			peak = max(peak, c.Stats().Senders)
			time.Sleep(2 * time.Millisecond)
		}
		closeClient(t, c)
		assert.LessOrEqual(t, peak, raven.DefaultSenders, "5xx answers never raise the ceiling")
		s := c.Stats()
		assert.Equal(t, uint64(n), s.Captured)
		assert.Zero(t, s.Delivered)
	})
}
