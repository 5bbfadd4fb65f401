package raven_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/raventest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// gate blocks user code until the test opens it, and counts who entered.
type gate struct {
	once    sync.Once
	open    chan struct{}
	entered atomic.Int32
}

func newGate(t *testing.T) *gate {
	g := &gate{open: make(chan struct{})}
	t.Cleanup(g.release)
	return g
}

func (g *gate) wait() {
	g.entered.Add(1)
	<-g.open
}

func (g *gate) release() { g.once.Do(func() { close(g.open) }) }

// blockingValue's MarshalJSON blocks until its gate opens.
type blockingValue struct{ g *gate }

func (v blockingValue) MarshalJSON() ([]byte, error) {
	v.g.wait()
	return []byte(`"released"`), nil
}

// stuckTransport ignores its context: Send, Flush or Close block until the
// gate opens.
type stuckTransport struct {
	g                      *gate
	send, flush, closeCall bool
	sent                   atomic.Int32
}

func (s *stuckTransport) Send(ctx context.Context, envs []*raven.Envelope) error {
	if s.send {
		s.g.wait()
	}
	s.sent.Add(1)
	return nil
}

func (s *stuckTransport) Flush(context.Context) error {
	if s.flush {
		s.g.wait()
	}
	return nil
}

func (s *stuckTransport) Close(context.Context) error {
	if s.closeCall {
		s.g.wait()
	}
	return nil
}

// balanced asserts the Stats identity.
func balanced(t *testing.T, s raven.Stats) {
	t.Helper()
	in := s.Captured + s.Restored
	out := s.Delivered + s.DroppedTotal() + uint64(s.Pending) + uint64(s.Stored) + s.TakenOver
	assert.Equal(t, in, out, "Captured+Restored == Delivered+Dropped+Pending+Stored+TakenOver: %+v", s)
}

// sendersGone waits until the client's senders have all returned, that
// is until the user code that held them returned and they found their
// captures settled.
func sendersGone(t *testing.T, c *raven.Client) {
	t.Helper()
	if n := waitSenders(c, 0); n != 0 {
		t.Fatalf("%d senders still running: %+v", n, c.Stats())
	}
}

func timedClose(t *testing.T, c *raven.Client, d time.Duration) (time.Duration, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	start := time.Now()
	err := c.Close(ctx)
	return time.Since(start), err
}

// closeSlack is how far past its deadline Close may return: scheduling on
// a loaded machine, not work.
const closeSlack = 250 * time.Millisecond

func TestCloseReturnsByDeadlineWhileUserCodeBlocks(t *testing.T) {
	cases := []struct {
		name string
		opts func(g *gate) []raven.Option
		// capture makes events reach the blocking code.
		capture func(c *raven.Client, g *gate)
	}{
		{"BeforeSend", func(g *gate) []raven.Option {
			return []raven.Option{raven.WithBeforeSend(func(e *raven.Event, _ *raven.EventHint) *raven.Event { g.wait(); return e })}
		}, nil},
		{"EventProcessor", func(g *gate) []raven.Option {
			return []raven.Option{raven.WithEventProcessor(func(e *raven.Event) *raven.Event { g.wait(); return e })}
		}, nil},
		{"MarshalJSON", nil, func(c *raven.Client, g *gate) {
			c.Scope().SetExtra("slow", blockingValue{g})
		}},
		// The crash reporter saves the root scope at Close too.
		{"MarshalJSON with crash reporting", func(g *gate) []raven.Option {
			return []raven.Option{raven.WithCrashReporting()}
		}, func(c *raven.Client, g *gate) {
			c.Scope().SetExtra("slow", blockingValue{g})
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := raventest.NewServer(t)
			g := newGate(t)
			opts := []raven.Option{raven.WithDSN(srv.DSN())}
			if tc.opts != nil {
				opts = append(opts, tc.opts(g)...)
			}
			c, err := raven.New(opts...)
			require.NoError(t, err)
			if tc.capture != nil {
				tc.capture(c, g)
			}
			const n = 20
			for range n {
				c.CaptureException(errors.New("held by user code"))
			}
			for g.entered.Load() == 0 {
				time.Sleep(time.Millisecond)
			}

			took, err := timedClose(t, c, time.Second)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			assert.Less(t, took, time.Second+closeSlack, "Close waited past its deadline")

			s := c.Stats()
			balanced(t, s)
			assert.Zero(t, s.Pending, "%+v", s)
			assert.Zero(t, s.Delivered)
			// Each capture that user code held is abandoned once; those
			// still queued are dropped at Close. (The gate may count more
			// entries than abandoned captures: the crash reporter saves the
			// root scope, through the same MarshalJSON, on its own.)
			abandoned := s.Dropped[raven.DropClosed]
			assert.GreaterOrEqual(t, abandoned, uint64(1))
			assert.LessOrEqual(t, abandoned, uint64(g.entered.Load()))
			assert.Equal(t, uint64(n), abandoned+s.Dropped[raven.DropNetworkError], "%+v", s)

			// The user code returns: the senders find their captures
			// settled and count nothing more.
			g.release()
			sendersGone(t, c)
			after := c.Stats()
			balanced(t, after)
			assert.Equal(t, s.Dropped, after.Dropped)
			assert.Zero(t, after.Delivered)
			assert.Empty(t, srv.Events())
		})
	}
}

func TestCloseWithOutboxReturnsByDeadlineWhileHookBlocks(t *testing.T) {
	for _, tc := range []struct {
		name string
		// blockDrain: the hook also blocks the events Close's drain
		// builds for the outbox, so the drain is abandoned too.
		blockDrain bool
	}{{"drain stores", false}, {"drain blocks", true}} {
		t.Run(tc.name, func(t *testing.T) {
			srv := raventest.NewServer(t)
			g := newGate(t)
			var first atomic.Bool
			c, err := raven.New(raven.WithDSN(srv.DSN()), raven.WithOutbox(t.TempDir()), raven.WithSenders(1),
				raven.WithBeforeSend(func(e *raven.Event, _ *raven.EventHint) *raven.Event {
					if first.CompareAndSwap(false, true) || tc.blockDrain {
						g.wait()
					}
					return e
				}))
			require.NoError(t, err)
			c.CaptureMessage("blocked in the hook")
			for g.entered.Load() == 0 {
				time.Sleep(time.Millisecond)
			}
			const queued = 5 // behind the one sender, until Close drains them
			for range queued {
				c.CaptureMessage("queued")
			}

			took, err := timedClose(t, c, time.Second)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			assert.Less(t, took, time.Second+closeSlack)
			s := c.Stats()
			balanced(t, s)
			assert.Zero(t, s.Pending, "%+v", s)
			if tc.blockDrain {
				assert.Equal(t, uint64(1+queued), s.Dropped[raven.DropClosed], "%+v", s)
			} else {
				assert.Equal(t, uint64(1), s.Dropped[raven.DropClosed], "%+v", s)
				assert.Equal(t, uint64(queued), s.Delivered+uint64(s.Stored), "the drain stores what was queued: %+v", s)
			}

			g.release()
			sendersGone(t, c)
			after := c.Stats()
			balanced(t, after)
			assert.Equal(t, s.Dropped[raven.DropClosed], after.Dropped[raven.DropClosed])
		})
	}
}

func TestCloseReturnsByDeadlineWithStuckTransport(t *testing.T) {
	for _, tc := range []struct {
		name string
		tr   func(g *gate) *stuckTransport
	}{
		{"Send", func(g *gate) *stuckTransport { return &stuckTransport{g: g, send: true} }},
		{"Close", func(g *gate) *stuckTransport { return &stuckTransport{g: g, closeCall: true} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newGate(t)
			tr := tc.tr(g)
			c, err := raven.New(raven.WithTransport(tr))
			require.NoError(t, err)
			c.CaptureMessage("one")
			if tr.send {
				for g.entered.Load() == 0 {
					time.Sleep(time.Millisecond)
				}
			}
			took, err := timedClose(t, c, time.Second)
			assert.Less(t, took, time.Second+closeSlack)
			s := c.Stats()
			balanced(t, s)
			if tr.send {
				// A send in progress settles when the transport returns.
				assert.ErrorIs(t, err, context.DeadlineExceeded)
				assert.Equal(t, 1, s.Pending, "%+v", s)
				g.release()
				sendersGone(t, c)
				s = c.Stats()
				balanced(t, s)
				assert.Equal(t, uint64(1), s.Delivered)
			} else {
				assert.ErrorIs(t, err, context.DeadlineExceeded)
				assert.Equal(t, uint64(1), s.Delivered)
			}
		})
	}
}

func TestFlushReturnsByDeadline(t *testing.T) {
	t.Run("hook", func(t *testing.T) {
		srv := raventest.NewServer(t)
		g := newGate(t)
		c, err := raven.New(raven.WithDSN(srv.DSN()),
			raven.WithBeforeSend(func(e *raven.Event, _ *raven.EventHint) *raven.Event { g.wait(); return e }))
		require.NoError(t, err)
		c.CaptureMessage("held")
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		assert.ErrorIs(t, c.Flush(ctx), context.DeadlineExceeded)
		assert.Less(t, time.Since(start), time.Second+closeSlack)
		g.release()
		ctx2, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel2()
		require.NoError(t, c.Close(ctx2))
		s := c.Stats()
		balanced(t, s)
		assert.Equal(t, uint64(1), s.Delivered)
	})
	t.Run("transport Flush", func(t *testing.T) {
		g := newGate(t)
		c, err := raven.New(raven.WithTransport(&stuckTransport{g: g, flush: true}))
		require.NoError(t, err)
		c.CaptureMessage("sent")
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		assert.ErrorIs(t, c.Flush(ctx), context.DeadlineExceeded)
		assert.Less(t, time.Since(start), time.Second+closeSlack)
		g.release()
		require.NoError(t, c.Close(context.Background()))
	})
}

func TestConcurrentCloseHonoursEachDeadline(t *testing.T) {
	srv := raventest.NewServer(t)
	g := newGate(t)
	c, err := raven.New(raven.WithDSN(srv.DSN()),
		raven.WithBeforeSend(func(e *raven.Event, _ *raven.EventHint) *raven.Event { g.wait(); return e }))
	require.NoError(t, err)
	c.CaptureMessage("held")
	for g.entered.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	firstDone := make(chan error, 1)
	go func() {
		_, err := timedClose(t, c, 2*time.Second)
		firstDone <- err
	}()
	time.Sleep(50 * time.Millisecond)
	took, err := timedClose(t, c, 200*time.Millisecond)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, took, 200*time.Millisecond+closeSlack, "a second Close waits for its own deadline, not the first's")
	assert.ErrorIs(t, <-firstDone, context.DeadlineExceeded)
	// A Close after the first returned reports its result at once.
	took, err = timedClose(t, c, time.Second)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, took, closeSlack)
	g.release()
	sendersGone(t, c)
	balanced(t, c.Stats())
}

func TestCloseWithEndedContextStopsPromptly(t *testing.T) {
	srv := raventest.NewServer(t)
	g := newGate(t)
	c, err := raven.New(raven.WithDSN(srv.DSN()),
		raven.WithBeforeSend(func(e *raven.Event, _ *raven.EventHint) *raven.Event { g.wait(); return e }))
	require.NoError(t, err)
	c.CaptureMessage("held")
	for g.entered.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	assert.ErrorIs(t, c.Close(ctx), context.Canceled)
	// Stopping after an ended context takes at most closeReserve (100 ms).
	assert.Less(t, time.Since(start), 100*time.Millisecond+closeSlack)
	s := c.Stats()
	balanced(t, s)
	assert.Equal(t, uint64(1), s.Dropped[raven.DropClosed])
	g.release()
	sendersGone(t, c)
	assert.Equal(t, uint64(1), c.Stats().Dropped[raven.DropClosed])
}
