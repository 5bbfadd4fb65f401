package delivery

import (
	"sync/atomic"

	"github.com/ravenkit/raven/internal/telemetry"
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
	// Categories holds the counters of the other kinds of telemetry (check-ins,
	// sessions, logs, spans, ...), by data category, for those the client
	// was handed.
	Categories map[string]CategoryStats
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

// CategoryStats are the counters of one kind of telemetry other than
// events: Captured == Delivered + the sum of Dropped + Pending.
type CategoryStats struct {
	Captured  uint64                // items handed to the client
	Delivered uint64                // items the server accepted (a 2xx answer)
	Dropped   map[DropReason]uint64 // items discarded, by reason
	Pending   int                   // items queued or being sent
}

// Counters back Stats; they implement the outbox's ledger. A move from the left of the balance (Captured,
// Restored) to the right adds to the destination before it takes from the
// source; a move within the right side (Stored to Delivered, Dropped or
// TakenOver) takes from the source first. Stats reads destinations before
// sources, so a read in the middle of a move sees the event as Pending,
// never twice: the Pending it derives is never below the true count, and
// the balance holds at every moment.
type Counters struct {
	captured  atomic.Uint64
	restored  atomic.Uint64
	delivered atomic.Uint64
	dropped   [ReasonCount]atomic.Uint64
	stored    atomic.Int64
	takenOver atomic.Uint64
	setAside  [SetAsideCount]atomic.Uint64
	kinds     [telemetry.NumKinds]kindCounters // kinds other than events
	// OnDrop accounts for a drop: it counts it (CountDrop) and does what
	// else the client does with one (client reports, its hook).
	OnDrop func(d Drop, reported bool)
}

// kindCounters back CategoryStats.
type kindCounters struct {
	captured, delivered atomic.Uint64
	dropped             [ReasonCount]atomic.Uint64
}

// kindOf is the kind of a data category; events (any category of no other
// kind) are telemetry.Error.
func kindOf(category string) telemetry.Kind {
	if k, ok := telemetry.ByCategory(category); ok {
		return k
	}
	return telemetry.Error
}

// Captured counts one item of kind k handed to the client.
func (c *Counters) Captured(k telemetry.Kind) {
	if k == telemetry.Error {
		c.captured.Add(1)
	} else {
		c.kinds[k].captured.Add(1)
	}
}

// DeliveredItems counts the events and items of a delivered envelope's
// items, by category.
func (c *Counters) DeliveredItems(category string, n int) {
	if k := kindOf(category); k != telemetry.Error {
		c.kinds[k].delivered.Add(uint64(n))
	} else {
		c.delivered.Add(uint64(n))
	}
}

// CountDrop counts d under its category and reason.
func (c *Counters) CountDrop(d Drop) {
	if k := kindOf(d.Category); k != telemetry.Error {
		c.kinds[k].dropped[ReasonIndex(d.Reason)].Add(uint64(d.Count))
	} else {
		c.dropped[ReasonIndex(d.Reason)].Add(uint64(d.Count))
	}
}

// Spooled counts n events of this process written to the outbox.
func (c *Counters) Spooled(n int) { c.stored.Add(int64(n)) }

// Restored counts n events read from a file another process wrote.
func (c *Counters) Restored(n int) {
	c.restored.Add(uint64(n))
	c.stored.Add(int64(n))
}

// StoredDelivered counts n stored events delivered. Stored and Delivered
// are both on the right of the balance: the source is taken first, so a
// Stats read in between sees the events as Pending, never twice.
func (c *Counters) StoredDelivered(n int) {
	c.stored.Add(-int64(n))
	c.delivered.Add(uint64(n))
}

// StoredDropped counts stored events dropped (source first, as above).
func (c *Counters) StoredDropped(d Drop, reported bool) {
	c.stored.Add(-int64(max(d.Count, 0)))
	c.OnDrop(d, reported)
}

// Delivered counts n events delivered without being stored.
func (c *Counters) Delivered(n int) { c.delivered.Add(uint64(n)) }

// Dropped counts events dropped without being stored.
func (c *Counters) Dropped(d Drop, reported bool) { c.OnDrop(d, reported) }

// StoredTakenOver counts n stored events another process took (source
// first, as above).
func (c *Counters) StoredTakenOver(n int) {
	c.stored.Add(-int64(n))
	c.takenOver.Add(uint64(n))
}

// SetAside counts a file that was not sent.
func (c *Counters) SetAside(r SetAsideReason) {
	for i, x := range SetAsideReasons {
		if x == r {
			c.setAside[i].Add(1)
		}
	}
}

// Snapshot reads the counters into Stats (destinations first, sources
// last); senders is the pool's size at the moment.
func (c *Counters) Snapshot(senders int) Stats {
	s := Stats{Dropped: make(map[DropReason]uint64, ReasonCount), SetAside: map[SetAsideReason]uint64{}, Senders: senders}
	s.TakenOver = c.takenOver.Load()
	s.Delivered = c.delivered.Load()
	dropped := loadDrops(&c.dropped, s.Dropped)
	s.Stored = int(max(c.stored.Load(), 0))
	s.Restored = c.restored.Load()
	s.Captured = c.captured.Load()
	for i, r := range SetAsideReasons {
		if n := c.setAside[i].Load(); n > 0 {
			s.SetAside[r] = n
		}
	}
	in := s.Captured + s.Restored
	out := s.Delivered + dropped + uint64(s.Stored) + s.TakenOver
	if in > out {
		s.Pending = int(in - out)
	}
	for k := telemetry.Error + 1; k < telemetry.NumKinds; k++ {
		kc := &c.kinds[k]
		cs := CategoryStats{Delivered: kc.delivered.Load(), Dropped: map[DropReason]uint64{}}
		out := cs.Delivered + loadDrops(&kc.dropped, cs.Dropped)
		if cs.Captured = kc.captured.Load(); cs.Captured > 0 {
			cs.Pending = int(cs.Captured - min(out, cs.Captured))
			if s.Categories == nil {
				s.Categories = map[string]CategoryStats{}
			}
			s.Categories[telemetry.Specs[k].Category] = cs
		}
	}
	return s
}

// loadDrops reads the non-zero counts of a into m, by reason, and returns
// their sum.
func loadDrops(a *[ReasonCount]atomic.Uint64, m map[DropReason]uint64) uint64 {
	var sum uint64
	for i, r := range Reasons {
		if n := a[i].Load(); n > 0 {
			m[r] = n
			sum += n
		}
	}
	return sum
}
