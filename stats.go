package raven

import (
	"context"
	"log/slog"
	"sync/atomic"

	"github.com/ravenkit/raven/internal/delivery"
)

// Stats are the client's counters since New. Every event the client took
// charge of ends up delivered, dropped with a reason, pending, or stored
// in the outbox, and at every moment
//
//	Captured + Restored == Delivered + DroppedTotal() + Pending + Stored + TakenOver
//
// The left side is what the client took charge of: events handed to
// Capture* and, with WithOutbox, events read back from outbox files that
// an earlier process (or another client) wrote. The right side is where
// they are now. Pending is computed as the rest, so it also covers an
// event between Capture* and its queue, or one whose hooks run.
type Stats struct {
	Captured  uint64                // events handed to Capture*
	Restored  uint64                // events read from outbox files written by an earlier process or another client
	Delivered uint64                // events the server accepted (a 2xx answer)
	Dropped   map[DropReason]uint64 // events discarded, by reason
	Pending   int                   // events queued, being built, or being sent and not on disk
	Stored    int                   // events in outbox files this client holds, waiting to be sent (WithOutbox)
	TakenOver uint64                // stored events that another process sharing the outbox directory sent or removed
	Senders   int                   // sender goroutines running (see WithSenders)
	// SetAside counts outbox files that were not sent, by reason: files
	// written for another DSN (left in place), and unreadable or unsafe
	// files (moved to the directory's quarantine subdirectory). These are
	// files, not events: what they hold was never read as events, so they
	// are outside the balance above.
	SetAside map[SetAsideReason]uint64
}

// DroppedTotal is the sum of Dropped.
func (s Stats) DroppedTotal() uint64 {
	var n uint64
	for _, v := range s.Dropped {
		n += v
	}
	return n
}

// counters back Stats. A move from the left of the balance (Captured,
// Restored) to the right adds to the destination before it takes from the
// source; a move within the right side (Stored to Delivered, Dropped or
// TakenOver) takes from the source first. Stats reads destinations before
// sources, so a read in the middle of a move sees the event as Pending,
// never twice: the Pending it derives is never below the true count, and
// the balance holds at every moment.
type counters struct {
	captured  atomic.Uint64
	restored  atomic.Uint64
	delivered atomic.Uint64
	dropped   [delivery.ReasonCount]atomic.Uint64
	stored    atomic.Int64
	takenOver atomic.Uint64
	setAside  [delivery.SetAsideCount]atomic.Uint64
}

// recordDrop counts discarded events, queues them for a client report
// unless the server already knows (reported), and calls the OnDrop hook.
func (c *Client) recordDrop(d Drop, reported bool) {
	if d.Count <= 0 {
		return
	}
	if d.Category == "" {
		d.Category = "error"
	}
	c.counters.dropped[delivery.ReasonIndex(d.Reason)].Add(uint64(d.Count))
	if !reported {
		c.reports.Add(d.Reason, d.Category, d.Count)
	}
	c.cfg.logger.LogAttrs(context.Background(), slog.LevelDebug, "raven: event dropped",
		slog.String("reason", string(d.Reason)), slog.Int("count", d.Count), slog.String("event_id", string(d.EventID)))
	if f := c.cfg.onDrop; f != nil {
		func() {
			defer func() {
				if r := recover(); r != nil {
					c.cfg.logger.Error("raven: OnDrop hook panicked", slog.Any("panic", r))
				}
			}()
			f(d)
		}()
	}
}

// ledger is the client's side of outbox.Ledger (see counters for the
// order of moves).
type ledger Client

func (l *ledger) client() *Client { return (*Client)(l) }

// Spooled counts n events of this process written to the outbox.
func (l *ledger) Spooled(n int) { l.counters.stored.Add(int64(n)) }

// Restored counts n events read from a file another process wrote.
func (l *ledger) Restored(n int) {
	l.counters.restored.Add(uint64(n))
	l.counters.stored.Add(int64(n))
}

// StoredDelivered counts n stored events delivered. Stored and Delivered
// are both on the right of the balance: the source is taken first, so a
// Stats read in between sees the events as Pending, never twice.
func (l *ledger) StoredDelivered(n int) {
	l.counters.stored.Add(-int64(n))
	l.counters.delivered.Add(uint64(n))
}

// StoredDropped counts stored events dropped (source first, as above).
func (l *ledger) StoredDropped(d Drop, reported bool) {
	l.counters.stored.Add(-int64(max(d.Count, 0)))
	l.client().recordDrop(d, reported)
}

// Delivered counts n events delivered without being stored.
func (l *ledger) Delivered(n int) { l.counters.delivered.Add(uint64(n)) }

// Dropped counts events dropped without being stored.
func (l *ledger) Dropped(d Drop, reported bool) { l.client().recordDrop(d, reported) }

// StoredTakenOver counts n stored events another process took (source
// first, as above).
func (l *ledger) StoredTakenOver(n int) {
	l.counters.stored.Add(-int64(n))
	l.counters.takenOver.Add(uint64(n))
}

// SetAside counts a file that was not sent.
func (l *ledger) SetAside(r SetAsideReason) {
	for i, x := range delivery.SetAsideReasons {
		if x == r {
			l.counters.setAside[i].Add(1)
		}
	}
}

// Stats returns the client's counters.
func (c *Client) Stats() Stats {
	if c == nil {
		return Stats{Dropped: map[DropReason]uint64{}, SetAside: map[SetAsideReason]uint64{}}
	}
	s := Stats{Dropped: make(map[DropReason]uint64, delivery.ReasonCount), SetAside: map[SetAsideReason]uint64{}}
	// destinations first, sources last (see counters)
	s.TakenOver = c.counters.takenOver.Load()
	s.Delivered = c.counters.delivered.Load()
	var dropped uint64
	for i, r := range delivery.Reasons {
		if n := c.counters.dropped[i].Load(); n > 0 {
			s.Dropped[r] = n
			dropped += n
		}
	}
	s.Stored = int(max(c.counters.stored.Load(), 0))
	s.Restored = c.counters.restored.Load()
	s.Captured = c.counters.captured.Load()
	for i, r := range delivery.SetAsideReasons {
		if n := c.counters.setAside[i].Load(); n > 0 {
			s.SetAside[r] = n
		}
	}
	in := s.Captured + s.Restored
	out := s.Delivered + dropped + uint64(s.Stored) + s.TakenOver
	if in > out {
		s.Pending = int(in - out)
	}
	if c.pipe != nil {
		_, s.Senders = c.pipe.Len()
	}
	return s
}
