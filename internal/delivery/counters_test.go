package delivery

import (
	"sync"
	"testing"

	"github.com/ravenkit/raven/internal/telemetry"
	"github.com/stretchr/testify/assert"
)

// Moves between the counters on the right of the balance (Stored to
// Delivered, Dropped, TakenOver) never let a concurrent Stats count an
// event twice.
func TestLedgerMovesKeepTheBalance(t *testing.T) {
	var c Counters
	c.OnDrop = func(d Drop, _ bool) { c.CountDrop(d) }
	l := &c
	const n = 20000
	for range 3 * n {
		c.Captured(telemetry.Error)
	}
	l.Spooled(3 * n)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range n {
			l.StoredDelivered(1)
			l.StoredDropped(Drop{Reason: DropCacheOverflow, Count: 1}, true)
			l.StoredTakenOver(1)
		}
		close(done)
	}()
	for {
		s := c.Snapshot(0)
		out := s.Delivered + s.DroppedTotal() + uint64(s.Stored) + s.TakenOver
		if out > s.Captured+s.Restored {
			t.Fatalf("an event counted twice: %+v", s)
		}
		select {
		case <-done:
			wg.Wait()
			return
		default:
		}
	}
}

// Items of other kinds are counted under their category, apart from
// events, and balance on their own.
func TestCountersByCategory(t *testing.T) {
	var c Counters
	c.OnDrop = func(d Drop, _ bool) { c.CountDrop(d) }
	for range 5 {
		c.Captured(telemetry.Log)
	}
	c.Captured(telemetry.Error)
	c.DeliveredItems("log_item", 2)
	c.Dropped(Drop{Reason: DropRateLimit, Category: "log_item", Count: 1}, false)
	c.DeliveredItems("error", 1)
	s := c.Snapshot(3)
	assert.Equal(t, uint64(1), s.Delivered)
	assert.Zero(t, s.DroppedTotal())
	assert.Equal(t, 3, s.Senders)
	assert.Equal(t, CategoryStats{Captured: 5, Delivered: 2, Pending: 2,
		Dropped: map[DropReason]uint64{DropRateLimit: 1}}, s.Categories["log_item"])
	assert.NotContains(t, s.Categories, "span", "a kind never handed over is not listed")
}
