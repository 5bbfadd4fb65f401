package raven

import (
	"context"
	"sync"
	"testing"
)

// Moves between the counters on the right of the balance (Stored to
// Delivered, Dropped, TakenOver) never let a concurrent Stats count an
// event twice.
func TestLedgerMovesKeepTheBalance(t *testing.T) {
	c, err := New(WithDSN("https://k@o.example.com/1"), WithTransport(nopDrop{}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(t.Context())
	l := (*ledger)(c)
	const n = 20000
	c.counters.captured.Add(3 * n)
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
		s := c.Stats()
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

type nopDrop struct{}

func (nopDrop) Send(ctx context.Context, _ []*Envelope) error { return nil }
func (nopDrop) Flush(context.Context) error                   { return nil }
func (nopDrop) Close(context.Context) error                   { return nil }
