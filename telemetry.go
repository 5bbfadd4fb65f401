package raven

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ravenkit/raven/internal/delivery"
	"github.com/ravenkit/raven/internal/pipeline"
	"github.com/ravenkit/raven/internal/telemetry"
)

// QueueLimit bounds the queue of one kind of telemetry: how many Items
// may wait and their estimated Bytes.
type QueueLimit = telemetry.Limit

// DefaultQueueLimits returns the default bound of each queue, by data
// category: "error" (events; DefaultQueueSize and DefaultQueueBytes),
// "monitor" (check-ins), "session", "feedback", "attachment",
// "transaction", "span" and "log_item". Each kind has a queue of its own,
// so a flood of one never delays or drops another; errors and check-ins go
// first, logs and spans yield.
func DefaultQueueLimits() map[string]QueueLimit {
	m := make(map[string]QueueLimit, telemetry.NumKinds)
	for _, s := range telemetry.Specs {
		m[s.Category] = s.Limit
	}
	return m
}

// WithQueueLimit bounds the queue of a data category (see
// DefaultQueueLimits) by items and estimated bytes. New returns an error
// for a category without a queue or a bound below 1. WithQueue(n, b) is
// WithQueueLimit("error", n, b).
func WithQueueLimit(category string, items, bytes int) Option {
	return optionFunc(func(c *config) {
		k, ok := telemetry.ByCategory(category)
		switch {
		case !ok:
			c.limitErr = fmt.Errorf("raven: no queue for category %q", category)
		case k == telemetry.Error:
			c.queueSize, c.queueBytes = items, bytes
		default:
			c.limits[k] = QueueLimit{Items: items, Bytes: bytes}
		}
	})
}

// enqueueItem hands an encoded item of kind k (not telemetry.Error) to its
// queue without blocking; a refused item is counted as dropped. Items of
// a category the server rate-limits are dropped here, before they cost
// a queue slot (develop.sentry.dev/sdk/expected-features/rate-limiting/).
func (c *Client) enqueueItem(k telemetry.Kind, it telemetry.Item) bool {
	if c == nil || c.pipe == nil || k <= telemetry.Error || k >= telemetry.NumKinds {
		return false
	}
	cat := telemetry.Specs[k].Category
	c.counters.Captured(k)
	if c.closed.Load() {
		c.recordDrop(Drop{Reason: DropClosed, Category: cat, Count: 1}, true)
		return false
	}
	if c.rateLimited(cat) {
		c.recordDrop(Drop{Reason: DropRateLimit, Category: cat, Count: 1}, false)
		return false
	}
	p := pendingPool.Get().(*pending)
	*p = pending{item: it}
	switch c.pipe.Enqueue(int(k), p, pendingBaseBytes+len(it.Payload)) {
	case pipeline.Full:
		releasePending(p)
		c.recordDrop(Drop{Reason: DropQueueOverflow, Category: cat, Count: 1}, false)
		return false
	case pipeline.Closed:
		releasePending(p)
		c.recordDrop(Drop{Reason: DropClosed, Category: cat, Count: 1}, true)
		return false
	}
	return true
}

// rateLimited reports whether the server rate-limits category now (only
// the HTTP transport knows).
func (c *Client) rateLimited(category string) bool {
	return c.http != nil && c.http.RateLimited(category)
}

// sendItems sends one batch of a kind other than events in one envelope,
// with the pending client report, and accounts for every item.
func (c *Client) sendItems(ctx context.Context, k telemetry.Kind, batch []*pending) pipeline.Outcome {
	items := make([]telemetry.Item, 0, len(batch))
	for _, p := range batch {
		if p.settle() {
			items = append(items, p.item)
		}
	}
	cat := telemetry.Specs[k].Category
	env := &Envelope{Header: EnvelopeHeader{SentAt: time.Now(), SDK: c.build.Static.SDK}}
	if c.dsn != nil {
		env.Header.DSN = c.dsn.String()
	}
	var bad int
	env.Items, bad = telemetry.EnvelopeItems(k, items)
	if bad > 0 {
		c.recordDrop(Drop{Reason: DropInternalError, Category: cat, Count: bad, Err: errors.New("raven: item is not a JSON object")}, false)
	}
	if len(env.Items) == 0 {
		return pipeline.Neutral
	}
	reports := c.reports.Take()
	if len(reports) > 0 {
		env.Items = append(env.Items, delivery.ReportItem(reports, time.Now()))
	}
	return c.deliver(ctx, env, reports)
}

// abandonItem counts an item Close found still queued or in flight.
func (c *Client) abandonItem(p *pending, k telemetry.Kind, reason DropReason) {
	if p.settle() {
		c.recordDrop(Drop{Reason: reason, Category: telemetry.Specs[k].Category, Count: 1,
			Err: errors.New("client closed before delivery")}, reason == DropClosed)
	}
}
