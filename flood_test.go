package raven_test

import (
	"context"
	"errors"
	"fmt"
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

// While four goroutines flood the queue from one call site, a quiet call
// site's errors are still delivered: the flooding site may hold only its
// share of a queue more than half full, and its excess is dropped and
// counted.
func TestFloodLeavesRoomForAQuietSite(t *testing.T) {
	srv := raventest.NewServer(t, raventest.WithLatency(2*time.Millisecond))
	c, err := raven.New(raven.WithDSN(srv.DSN()), raven.WithQueue(200, 64<<20))
	require.NoError(t, err)
	errFlood := errors.New("flood")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var flooded atomic.Int64
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				c.CaptureException(errFlood)
				flooded.Add(1)
			}
		}()
	}
	const quiet = 20
	for i := range quiet {
		time.Sleep(10 * time.Millisecond)
		c.CaptureException(fmt.Errorf("quiet %d", i))
	}
	close(stop)
	wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, c.Close(ctx))

	got := 0
	for _, ev := range srv.Events() {
		if v := ev.Exception.Values; len(v) > 0 && strings.HasPrefix(v[len(v)-1].Value, "quiet ") {
			got++
		}
	}
	assert.Equal(t, quiet, got, "every quiet error is delivered")
	s := c.Stats()
	balanced(t, s)
	assert.Positive(t, s.Dropped[raven.DropQueueOverflow], "the flood's excess is dropped and counted")
	assert.Greater(t, flooded.Load(), int64(quiet))
}
