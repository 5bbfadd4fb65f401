package pipeline

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCeilingAdapts(t *testing.T) {
	var congested atomic.Bool
	var inFlight, peak atomic.Int64
	p, err := New(Config[int]{Classes: classes(), MinSenders: 2, StartSenders: 4, MaxSenders: 32,
		Handle: func(_ context.Context, _ int, _ []int) Outcome {
			n := inFlight.Add(1)
			for {
				old := peak.Load()
				if n <= old || peak.CompareAndSwap(old, n) {
					break
				}
			}
			time.Sleep(2 * time.Millisecond) // a server with 2 ms latency
			inFlight.Add(-1)
			if congested.Load() {
				return Congested
			}
			return Healthy
		}})
	require.NoError(t, err)
	defer closeNow(t, p)
	assert.Equal(t, 4, p.Ceiling())
	for i := range 1500 {
		require.Equal(t, Enqueued, p.Enqueue(high, i, 1))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, p.Flush(ctx))
	grown := p.Ceiling()
	assert.Greater(t, grown, 8, "a healthy server with a backlog lets the pool grow")
	assert.Greater(t, peak.Load(), int64(8))

	congested.Store(true)
	for i := range 50 {
		p.Enqueue(high, i, 1)
	}
	require.NoError(t, p.Flush(ctx))
	assert.Equal(t, 2, p.Ceiling(), "congestion halves the ceiling down to MinSenders")
}

func TestBlockingEnqueueWaitsForRoom(t *testing.T) {
	release := make(chan struct{})
	p, err := New(Config[int]{Classes: []Class{{Name: "error", MaxItems: 1, MaxBytes: 100}}, MinSenders: 1, MaxSenders: 1,
		Block: 2 * time.Second, Handle: func(context.Context, int, []int) Outcome { <-release; return Neutral }})
	require.NoError(t, err)
	defer closeNow(t, p)
	p.Enqueue(0, 1, 1) // taken by the sender, which blocks
	require.Eventually(t, func() bool { n, _ := p.ClassLen(0); return n == 0 }, time.Second, time.Millisecond)
	p.Enqueue(0, 2, 1) // fills the class
	res := make(chan Result, 1)
	go func() { res <- p.Enqueue(0, 3, 1) }()
	select {
	case r := <-res:
		t.Fatalf("enqueue into a full class returned %v before room appeared", r)
	case <-time.After(30 * time.Millisecond):
	}
	close(release)
	assert.Equal(t, Enqueued, <-res)
}

func TestNothingStartsUntilUsed(t *testing.T) {
	p, err := New(Config[int]{Classes: classes(), MinSenders: 2, MaxSenders: 2, Handle: func(context.Context, int, []int) Outcome { return Neutral }})
	require.NoError(t, err)
	_, senders := p.Len()
	assert.Zero(t, senders)
	closeNow(t, p)
	assert.Equal(t, Closed, p.Enqueue(0, 1, 1))
}

// A per-category 429: every send of the low class answers congested (the
// server limits log_item), which halves the pool's ceiling down to
// MinSenders; the high class keeps its senders and every error is handled.
func TestCongestedClassDoesNotStopAnother(t *testing.T) {
	rec := newRecorder()
	p, err := New(Config[int]{Classes: classes(), MinSenders: 2, StartSenders: 8, MaxSenders: 8,
		Handle: func(_ context.Context, class int, items []int) Outcome {
			rec.add(class, items)
			if class == low {
				time.Sleep(200 * time.Microsecond)
				return Congested
			}
			return Healthy
		}})
	require.NoError(t, err)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
				p.Enqueue(low, 1, 100)
				runtime.Gosched()
			}
		}
	}()
	// the server limits the low class before the errors come
	require.Eventually(t, func() bool { return rec.count(low) >= 20 }, 10*time.Second, time.Millisecond)
	for i := range 1000 {
		require.Equal(t, Enqueued, p.Enqueue(high, i, 100))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, p.Flush(ctx))
	close(stop)
	wg.Wait()
	assert.Equal(t, 1000, rec.count(high), "every error is handled while the low class is limited")
	assert.Positive(t, rec.count(low))
	closeNow(t, p)
}
