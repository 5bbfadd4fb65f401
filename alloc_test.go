package raven_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/ravenkit/raven"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// discard is a Transport that accepts everything at once.
type discard struct{}

func (discard) Send(context.Context, []*raven.Envelope) error { return nil }
func (discard) Flush(context.Context) error                   { return nil }
func (discard) Close(context.Context) error                   { return nil }

// holdQueue returns a client whose single sender is blocked, so captures
// only measure the caller's side (the hot path).
func holdQueue(tb testing.TB) (*raven.Client, context.Context, func()) {
	rec := &recorder{block: make(chan struct{})}
	c, err := raven.New(raven.WithDSN("https://k@o.example.com/1"), raven.WithTransport(rec), raven.WithSenders(1),
		raven.WithQueue(1<<20, 1<<30))
	require.NoError(tb, err)
	ctx := raven.WithScope(raven.ContextWithScope(context.Background(), c.Scope()))
	s := raven.ScopeFromContext(ctx)
	s.SetTag("tag", "v")
	for i := 0; i < 20; i++ {
		s.AddBreadcrumb(raven.Breadcrumb{Message: "crumb", Category: "test"})
	}
	return c, ctx, func() {
		close(rec.block)
		_ = c.Close(context.Background())
	}
}

var errChain = fmt.Errorf("outer: %w", fmt.Errorf("inner: %w", errSentinel))

func TestCaptureAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under the race detector")
	}
	c, ctx, done := holdQueue(t)
	defer done()
	allocs := testing.AllocsPerRun(200, func() { c.CaptureExceptionContext(ctx, errChain) })
	assert.LessOrEqual(t, allocs, 3.0, "capture on the caller's goroutine: pending record and event id")
	allocs = testing.AllocsPerRun(200, func() { c.CaptureMessageContext(ctx, "m") })
	assert.LessOrEqual(t, allocs, 2.0)
}

func BenchmarkCaptureException(b *testing.B) {
	b.Run("caller side", func(b *testing.B) {
		// The sender runs on the other core; the timer is stopped while the
		// queue is drained every 256 captures, so the figure is the
		// caller's cost with a short queue, as in a live service.
		c, err := raven.New(raven.WithDSN("https://k@o.example.com/1"), raven.WithTransport(discard{}), raven.WithSenders(1))
		require.NoError(b, err)
		ctx := raven.WithScope(raven.ContextWithScope(context.Background(), c.Scope()))
		s := raven.ScopeFromContext(ctx)
		s.SetTag("tag", "v")
		for i := 0; i < 20; i++ {
			s.AddBreadcrumb(raven.Breadcrumb{Message: "crumb", Category: "test"})
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			c.CaptureExceptionContext(ctx, errChain)
			if i++; i%256 == 0 {
				b.StopTimer()
				_ = c.Flush(context.Background())
				b.StartTimer()
			}
		}
		b.StopTimer()
		require.NoError(b, c.Close(context.Background()))
	})
	b.Run("caller side, sender blocked", func(b *testing.B) {
		c, ctx, done := holdQueue(b)
		defer done()
		b.ReportAllocs()
		for b.Loop() {
			c.CaptureExceptionContext(ctx, errChain)
		}
	})
	b.Run("end to end", func(b *testing.B) {
		c, err := raven.New(raven.WithDSN("https://k@o.example.com/1"), raven.WithTransport(discard{}), raven.WithQueue(1<<20, 1<<30))
		require.NoError(b, err)
		ctx := raven.WithScope(raven.ContextWithScope(context.Background(), c.Scope()))
		for i := 0; i < 20; i++ {
			raven.ScopeFromContext(ctx).AddBreadcrumb(raven.Breadcrumb{Message: "crumb"})
		}
		b.ReportAllocs()
		for b.Loop() {
			c.CaptureExceptionContext(ctx, errChain)
		}
		require.NoError(b, c.Close(context.Background()))
	})
	b.Run("disabled", func(b *testing.B) {
		c, err := raven.New(raven.WithDSN(""))
		require.NoError(b, err)
		b.ReportAllocs()
		for b.Loop() {
			c.CaptureException(errChain)
		}
	})
}
