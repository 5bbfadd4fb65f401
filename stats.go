package raven

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Stats are the client's counters since New. Every captured event ends up
// delivered, dropped with a reason, or still pending.
type Stats struct {
	Captured  uint64                // events handed to Capture*
	Delivered uint64                // events the server accepted
	Dropped   map[DropReason]uint64 // events discarded, by reason
	Pending   int                   // events queued or being sent
	Senders   int                   // sender goroutines running (see WithSenders)
}

// DroppedTotal is the sum of Dropped.
func (s Stats) DroppedTotal() uint64 {
	var n uint64
	for _, v := range s.Dropped {
		n += v
	}
	return n
}

type counters struct {
	captured  atomic.Uint64
	delivered atomic.Uint64
	dropped   [dropReasonCount]atomic.Uint64
}

func reasonIndex(r DropReason) int {
	for i, x := range dropReasons {
		if x == r {
			return i
		}
	}
	return int(dropReasonCount) - 1
}

// reportKey aggregates client-report entries.
type reportKey struct {
	reason   DropReason
	category string
}

// clientReports accumulates discarded events until the next envelope
// carries them to the server.
type clientReports struct {
	mu      sync.Mutex
	pending map[reportKey]int
}

func (r *clientReports) add(reason DropReason, category string, n int) {
	if reason == DropClosed {
		return // nothing will carry it
	}
	r.mu.Lock()
	if r.pending == nil {
		r.pending = make(map[reportKey]int)
	}
	r.pending[reportKey{reason, category}] += n
	r.mu.Unlock()
}

// restore puts back entries of a report that could not be delivered.
func (r *clientReports) restore(m map[reportKey]int) {
	r.mu.Lock()
	if r.pending == nil {
		r.pending = make(map[reportKey]int)
	}
	for k, v := range m {
		r.pending[k] += v
	}
	r.mu.Unlock()
}

// take returns and clears the accumulated entries.
func (r *clientReports) take() map[reportKey]int {
	r.mu.Lock()
	m := r.pending
	r.pending = nil
	r.mu.Unlock()
	return m
}

type discardedEvent struct {
	Reason   DropReason `json:"reason"`
	Category string     `json:"category"`
	Quantity int        `json:"quantity"`
}

// clientReportItem encodes entries as a client_report envelope item.
func clientReportItem(m map[reportKey]int, now time.Time) EnvelopeItem {
	rep := struct {
		Timestamp string           `json:"timestamp"`
		Discarded []discardedEvent `json:"discarded_events"`
	}{Timestamp: formatTime(now)}
	for k, v := range m {
		rep.Discarded = append(rep.Discarded, discardedEvent{k.reason, k.category, v})
	}
	b, _ := json.Marshal(&rep)
	return EnvelopeItem{Type: ItemClientReport, Payload: b}
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
	c.counters.dropped[reasonIndex(d.Reason)].Add(uint64(d.Count))
	if !reported {
		c.reports.add(d.Reason, d.Category, d.Count)
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
		return Stats{Dropped: map[DropReason]uint64{}}
	}
	s := Stats{Captured: c.counters.captured.Load(), Delivered: c.counters.delivered.Load(),
		Dropped: make(map[DropReason]uint64, dropReasonCount)}
	for i, r := range dropReasons {
		if n := c.counters.dropped[i].Load(); n > 0 {
			s.Dropped[r] = n
		}
	}
	if c.pipe != nil {
		s.Pending, s.Senders = c.pipe.pending()
	}
	return s
}

type discardHandler struct{}

func (discardHandler) Enabled(context.Context, slog.Level) bool  { return false }
func (discardHandler) Handle(context.Context, slog.Record) error { return nil }
func (d discardHandler) WithAttrs([]slog.Attr) slog.Handler      { return d }
func (d discardHandler) WithGroup(string) slog.Handler           { return d }
