package raven_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ravenkit/raven"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestQueueOverflowCounted(t *testing.T) {
	rec := &recorder{block: make(chan struct{})}
	c, err := raven.New(raven.WithDSN("https://k@o.example.com/1"), raven.WithTransport(rec), raven.WithQueue(5, 1<<20), raven.WithSenders(1))
	require.NoError(t, err)
	for i := 0; i < 50; i++ {
		c.CaptureMessage("m")
	}
	close(rec.block)
	require.NoError(t, c.Close(context.Background()))
	st := c.Stats()
	assert.Equal(t, uint64(50), st.Captured)
	assert.Greater(t, st.Dropped[raven.DropQueueOverflow], uint64(0))
	assert.Equal(t, uint64(50), st.Delivered+st.DroppedTotal())
	assert.LessOrEqual(t, st.Delivered, uint64(6))
}

func TestBlockingQueueWaits(t *testing.T) {
	rec := &recorder{block: make(chan struct{})}
	c, err := raven.New(raven.WithDSN("https://k@o.example.com/1"), raven.WithTransport(rec),
		raven.WithQueue(1, 1<<20), raven.WithSenders(1), raven.WithBlockingQueue(50*time.Millisecond))
	require.NoError(t, err)
	c.CaptureMessage("in flight")
	require.Eventually(t, func() bool { return c.Stats().Pending == 1 }, time.Second, time.Millisecond)
	c.CaptureMessage("queued")
	start := time.Now()
	c.CaptureMessage("waits then drops")
	assert.GreaterOrEqual(t, time.Since(start), 40*time.Millisecond)
	assert.Equal(t, uint64(1), c.Stats().Dropped[raven.DropQueueOverflow])
	go func() { time.Sleep(20 * time.Millisecond); close(rec.block) }()
	c.CaptureMessage("waits then fits")
	require.NoError(t, c.Close(context.Background()))
	assert.Equal(t, uint64(3), c.Stats().Delivered)
}

func TestFlushAndCloseDeadlines(t *testing.T) {
	rec := &recorder{block: make(chan struct{})}
	c, err := raven.New(raven.WithDSN("https://k@o.example.com/1"), raven.WithTransport(rec))
	require.NoError(t, err)
	c.CaptureMessage("stuck")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, c.Flush(ctx), context.DeadlineExceeded)
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, ccancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer ccancel()
			errs[i] = c.Close(cctx)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		assert.ErrorIs(t, err, context.DeadlineExceeded, "Close reports the deadline, concurrently and twice")
	}
	st := c.Stats()
	assert.Equal(t, uint64(1), st.DroppedTotal(), "the stuck event is counted, not lost silently")
	assert.Zero(t, st.Pending)
	assert.Empty(t, c.CaptureMessage("after close"))
}

func TestFlushWaitsOnlyForEarlierEvents(t *testing.T) {
	c, rec := newClient(t, raven.WithSenders(3))
	for i := 0; i < 200; i++ {
		c.CaptureMessage(fmt.Sprint(i))
	}
	flush(t, c)
	assert.Len(t, rec.events(t), 200)
	assert.Equal(t, uint64(200), c.Stats().Delivered)
}
