package raven

import (
	"context"
	"log/slog"

	"github.com/ravenkit/raven/internal/delivery"
)

// Stats are the client's counters since New. Every event the client took
// charge of ends up delivered, dropped with a reason, pending, or stored
// in the outbox, and at every moment
//
//	Captured + Restored == Delivered + DroppedTotal() + Pending + Stored + TakenOver
//
// Captured counts events handed to Capture*; Restored, events read from
// outbox files an earlier process or another client wrote; Delivered,
// events the server accepted (a 2xx answer); Dropped, events discarded, by
// reason; Pending, events queued, being built or sent and not on disk;
// Stored, events in outbox files this client holds; TakenOver, stored
// events another process sharing the outbox sent or removed. Senders is
// the number of sender goroutines running. Categories holds the counters
// of the other kinds of telemetry, by data category; SetAside counts
// outbox files (not events) that were not sent, by reason.
type Stats = delivery.Stats

// CategoryStats are the counters of one kind of telemetry other than
// events: Captured == Delivered + the sum of Dropped + Pending.
type CategoryStats = delivery.CategoryStats

// recordDrop counts discarded events, queues them for a client report
// unless the server already knows (reported), and calls the OnDrop hook.
func (c *Client) recordDrop(d Drop, reported bool) {
	if d.Count <= 0 {
		return
	}
	if d.Category == "" {
		d.Category = "error"
	}
	c.counters.CountDrop(d)
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

// Stats returns the client's counters.
func (c *Client) Stats() Stats {
	if c == nil {
		return Stats{Dropped: map[DropReason]uint64{}, SetAside: map[SetAsideReason]uint64{}}
	}
	senders := 0
	if c.pipe != nil {
		_, senders = c.pipe.Len()
	}
	return c.counters.Snapshot(senders)
}
