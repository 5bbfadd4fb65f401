package raven

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/ravenkit/raven/internal/builder"
	"github.com/ravenkit/raven/internal/errchain"
	"github.com/ravenkit/raven/internal/pipeline"
	"github.com/ravenkit/raven/internal/stack"
	"github.com/ravenkit/raven/internal/telemetry"
)

// captureOpts describe one capture.
type captureOpts struct {
	level     Level
	err       error
	msg       string
	panicVal  any
	panicked  bool
	event     *Event
	mechanism string
	skip      int
	ctx       context.Context
}

// capture runs on the caller's goroutine: sampling, PC capture, scope
// snapshot, id and timestamp, then a non-blocking hand-off.
func (c *Client) capture(s *Scope, o captureOpts) (id EventID) {
	if c == nil || c.pipe == nil {
		return ""
	}
	defer func() {
		if r := recover(); r != nil {
			c.cfg.logger.Error("raven: capture failed", slog.Any("panic", r))
			id = ""
		}
	}()
	c.counters.Captured(telemetry.Error)
	if c.closed.Load() {
		c.recordDrop(Drop{Reason: DropClosed, Count: 1}, true)
		return ""
	}
	id = NewEventID()
	if o.event != nil && o.event.EventID != "" {
		id = o.event.EventID
	}
	if c.cfg.sampleRate < 1 && (c.cfg.sampleRate == 0 || rand.Float64() >= c.cfg.sampleRate) {
		c.recordDrop(Drop{Reason: DropSampleRate, EventID: id, Count: 1}, false)
		return "" // nothing will be sent
	}
	if c.pipe.Full(classError) {
		// The queue is full: drop before the stack and the scope are
		// copied, so that a flood of captures costs little and leaves the
		// senders the CPU to drain what is queued.
		c.recordDrop(Drop{Reason: DropQueueOverflow, EventID: id, Count: 1}, false)
		return id
	}
	site, flooding := -1, false
	if c.pipe.Waiting(classError) > c.cfg.queueSize/2 {
		// flood control (internal/pipeline/sites.go)
		a, b := pipeline.SiteOf(o.skip, o.err)
		site = c.sites.Take(a, b, c.cfg.queueSize/pipeline.SiteShare)
		flooding = site < 0
	}
	if flooding {
		// This call site holds its share of a queue more than half full:
		// the rest stays for other sites (a quiet site's error is not
		// lost in another's flood).
		c.recordDrop(Drop{Reason: DropQueueOverflow, EventID: id, Count: 1}, false)
		return id
	}
	p := pendingPool.Get().(*pending)
	*p = pending{Capture: builder.Capture{ID: id, TS: time.Now(), Level: o.level, Err: o.err, Msg: o.msg, PanicVal: o.panicVal,
		Panicked: o.panicked, Handled: !o.panicked, Mechanism: o.mechanism, Event: o.event, Ctx: o.ctx}, site: site + 1}
	needStack := o.panicked ||
		(o.err != nil && !errchain.HasOwnStack(o.err)) ||
		(o.err == nil && o.event == nil && c.cfg.attachStacktrace)
	if needStack {
		p.PCs = stack.CapturePCs(o.skip+2, p.pcsBuf[:])
	}
	if s != nil {
		p.Scope = s.snapshot()
		if src := p.Scope.ReqSrc; src != nil {
			if p.Scope.Request == nil {
				p.Request = builder.SafeRequest(src)
			}
			if builder.FromSource(&p.Capture, src) {
				c.sites.Give(site)
				releasePending(p)
				c.recordDrop(Drop{Reason: DropEventProcessor, EventID: id, Count: 1, Err: errors.New("raven: the client went away")}, false)
				return ""
			}
		}
	}
	switch c.pipe.Enqueue(classError, p, p.estimate()) {
	case pipeline.Full:
		c.sites.Give(site)
		releasePending(p)
		c.recordDrop(Drop{Reason: DropQueueOverflow, EventID: id, Count: 1}, false)
	case pipeline.Closed:
		c.sites.Give(site)
		releasePending(p)
		c.recordDrop(Drop{Reason: DropClosed, EventID: id, Count: 1}, true)
		return ""
	}
	return id
}

// CaptureException reports err with the client's root scope and returns
// the event id ("" when nothing is sent). A nil err is ignored.
func (c *Client) CaptureException(err error) EventID {
	return c.CaptureExceptionContext(context.Background(), err)
}

// CaptureExceptionContext reports err with the scope ctx carries.
func (c *Client) CaptureExceptionContext(ctx context.Context, err error) EventID {
	if err == nil || c == nil || c.pipe == nil {
		return ""
	}
	return c.capture(c.scopeFor(ctx), captureOpts{level: LevelError, err: err, mechanism: "generic", skip: 0, ctx: ctx})
}

// CaptureMessage reports a message with the client's root scope.
func (c *Client) CaptureMessage(msg string) EventID {
	return c.CaptureMessageContext(context.Background(), msg)
}

// CaptureMessageContext reports a message at info level with the scope ctx
// carries.
func (c *Client) CaptureMessageContext(ctx context.Context, msg string) EventID {
	if c == nil || c.pipe == nil {
		return ""
	}
	return c.capture(c.scopeFor(ctx), captureOpts{level: LevelInfo, msg: msg, skip: 0, ctx: ctx})
}

// CaptureEvent sends a fully built event, merged with the scope ctx
// carries. The event must not be modified afterwards.
func (c *Client) CaptureEvent(ctx context.Context, e *Event) EventID {
	if c == nil || c.pipe == nil || e == nil {
		return ""
	}
	return c.capture(c.scopeFor(ctx), captureOpts{level: e.Level, event: e, skip: 0, ctx: ctx})
}

// CapturePanic reports a recovered panic value with the scope ctx carries.
// Call it from the deferred function that recovered, so the stack still
// shows where the panic happened. A nil value is ignored.
func (c *Client) CapturePanic(ctx context.Context, v any) EventID {
	if v == nil || c == nil || c.pipe == nil {
		return ""
	}
	return c.capturePanic(ctx, c.scopeFor(ctx), v, 1)
}

func (c *Client) capturePanic(ctx context.Context, s *Scope, v any, skip int) EventID {
	o := captureOpts{level: LevelFatal, panicVal: v, panicked: true, mechanism: "panic", skip: skip + 1, ctx: ctx}
	if err, ok := v.(error); ok {
		o.err = err
	}
	return c.capture(s, o)
}

// scopeFor picks the scope for a capture: ctx's when it belongs to this
// client, else the root scope merged into nothing.
func (c *Client) scopeFor(ctx context.Context) *Scope {
	if ctx != nil {
		if s, ok := ctx.Value(scopeKey{}).(*Scope); ok && s != nil && s.client == c {
			return s
		}
	}
	return c.root
}

// Recover recovers a panic, reports it and lets the goroutine go on. Use
// it as `defer client.Recover()`.
func (c *Client) Recover() {
	if v := recover(); v != nil {
		c.capturePanic(context.Background(), c.root, v, 1)
	}
}

// RecoverContext is Recover with the scope ctx carries.
func (c *Client) RecoverContext(ctx context.Context) {
	if v := recover(); v != nil {
		c.capturePanic(ctx, c.scopeFor(ctx), v, 1)
	}
}

// RecoverRepanic reports a panic, waits up to DefaultRepanicFlushTimeout
// for it to be delivered, then panics again with the same value.
func (c *Client) RecoverRepanic(ctx context.Context) {
	if v := recover(); v != nil {
		c.capturePanic(ctx, c.scopeFor(ctx), v, 1)
		fctx, cancel := context.WithTimeout(context.Background(), DefaultRepanicFlushTimeout)
		_ = c.Flush(fctx)
		cancel()
		panic(v)
	}
}
