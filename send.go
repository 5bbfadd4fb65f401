package raven

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ravenkit/raven/internal/builder"
	"github.com/ravenkit/raven/internal/delivery"
	"github.com/ravenkit/raven/internal/pipeline"
)

// sendClientReport sends accumulated client reports on their own.
func (c *Client) sendClientReport(ctx context.Context) {
	m := c.reports.Take()
	if len(m) == 0 {
		return
	}
	env := &Envelope{Header: EnvelopeHeader{SentAt: time.Now(), SDK: c.build.Static.SDK}}
	env.Items = append(env.Items, delivery.ReportItem(m, time.Now()))
	if err := c.send(ctx, env); err != nil {
		c.cfg.logger.Debug("raven: client report not delivered", slog.Any("error", err))
		if !maybeReceived(err) {
			// kept for the next envelope; a later Flush or Close tries again
			c.reports.Restore(m)
		}
	}
}

// processPending runs on a sender: it builds the event, applies hooks,
// encodes the envelope and sends it, accounting for every outcome. Every
// count is preceded by p.settle(): when Close abandoned the capture while
// a hook or a value still held it, nothing is counted twice.
func (c *Client) processPending(ctx context.Context, p *pending) (out pipeline.Outcome) {
	out = pipeline.Neutral
	defer func() {
		// Nothing on a sender may take the process down: a panic in a
		// user value's MarshalJSON, a transport or a hook drops the event
		// and counts it.
		if r := recover(); r != nil {
			c.cfg.logger.Error("raven: sending event panicked", slog.Any("panic", r))
			if p.settle() {
				c.recordDrop(Drop{Reason: DropEventProcessor, EventID: p.ID, Count: 1, Err: fmt.Errorf("panic: %v", r)}, false)
			}
		}
	}()
	env := c.prepare(p, true)
	if env == nil {
		return out // dropped (counted) or abandoned by Close
	}
	// From here the envelope accounts for the event: it is pending until
	// the send or the outbox settles it, which Close does not abandon
	// (sends honour the cancelled context).
	reports := c.reports.Take()
	if len(reports) > 0 {
		env.Items = append(env.Items, delivery.ReportItem(reports, time.Now()))
	}
	if o := c.ext.outbox; o != nil && o.WriteAhead(env, reports, c.reports.Restore) {
		return out // on disk; the outbox sends it
	}
	return c.deliver(ctx, env, reports)
}

// prepare builds and encodes p's event and settles p: it returns the
// event's envelope, or nil when the event was dropped (counted here) or
// Close abandoned the capture while user code built it (counted by
// Close). limit applies the fingerprint rate limit. Every count is
// preceded by p.settle(), so nothing is counted twice.
func (c *Client) prepare(p *pending, limit bool) *Envelope {
	drop := func(reason DropReason, err error) *Envelope {
		if p.settle() {
			c.recordDrop(Drop{Reason: reason, EventID: p.ID, Count: 1, Err: err}, false)
		}
		return nil
	}
	ev, reason, err := c.build.Build(&p.Capture)
	if ev == nil {
		return drop(reason, err)
	}
	if limit && c.fpLimit != nil && !c.fpLimit.Allow(ev) {
		return drop(DropRateLimit, errors.New("fingerprint rate limit"))
	}
	payload, err := builder.Encode(ev, MaxEventBytes)
	if err != nil {
		return drop(DropEventProcessor, err)
	}
	if !p.settle() {
		return nil // abandoned by Close while user code built it
	}
	return c.eventEnvelope(ev.EventID, payload)
}

// eventEnvelope wraps an encoded event.
func (c *Client) eventEnvelope(id EventID, payload []byte) *Envelope {
	env := &Envelope{Header: EnvelopeHeader{EventID: id, SentAt: time.Now(), SDK: c.build.Static.SDK}}
	if c.dsn != nil {
		env.Header.DSN = c.dsn.String()
	}
	env.Items = append(env.Items, EnvelopeItem{Type: ItemEvent, Payload: payload, Events: 1})
	return env
}

// send calls the transport, turning a panic into an error.
func (c *Client) send(ctx context.Context, env *Envelope) (err error) {
	defer func() {
		if r := recover(); r != nil {
			c.cfg.logger.Error("raven: transport panicked", slog.Any("panic", r))
			err = &DropError{Reason: DropSendError, Err: fmt.Errorf("transport panicked: %v", r)}
		}
	}()
	return c.transport.Send(ctx, []*Envelope{env})
}

// deliver sends one envelope and accounts for its events. It tells the
// pipeline what the send learnt about the server.
func (c *Client) deliver(ctx context.Context, env *Envelope, reports map[delivery.ReportKey]int) pipeline.Outcome {
	err := c.send(ctx, env)
	if err == nil {
		for i := range env.Items {
			if it := &env.Items[i]; it.Events > 0 {
				c.counters.DeliveredItems(it.Category(), it.Events)
			}
		}
		return pipeline.Healthy
	}
	var de *DropError
	reason, reported := DropSendError, false
	if errors.As(err, &de) {
		reason, reported = de.Reason, de.Reported
	} else if ctx.Err() != nil {
		reason = DropNetworkError
	}
	for i := range env.Items {
		it := &env.Items[i]
		if it.Events > 0 {
			c.recordDrop(Drop{Reason: reason, Category: it.Category(), EventID: env.Header.EventID, Count: it.Events, Err: err}, reported)
		}
	}
	if len(reports) > 0 && !maybeReceived(err) {
		c.reports.Restore(reports) // the report did not reach the server either
	}
	return congestion(err)
}

// congestion reads a failed send: a 429, a 5xx or a network failure means
// the server is struggling (the pipeline lowers its sender ceiling);
// anything else says nothing of its load.
func congestion(err error) pipeline.Outcome {
	var de *DropError
	if errors.As(err, &de) {
		if de.Status == 429 || de.Status >= 500 || de.Reason == DropRateLimit || de.Reason == DropNetworkError {
			return pipeline.Congested
		}
		return pipeline.Neutral
	}
	return pipeline.Congested
}

// maybeReceived reports whether a failed send may still have reached the
// server (DropError.MaybeReceived). The client reports it carried then
// count as sent: a drop is reported at most once. Restoring them instead
// would report it again with every retry whose answer is lost.
func maybeReceived(err error) bool {
	var de *DropError
	return errors.As(err, &de) && de.MaybeReceived
}
