package raven

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/ravenkit/raven/internal/delivery"
	"github.com/ravenkit/raven/internal/errchain"
	"github.com/ravenkit/raven/internal/pipeline"
	"github.com/ravenkit/raven/internal/protocol"
	"github.com/ravenkit/raven/internal/stack"
	"github.com/ravenkit/raven/internal/trim"
	"github.com/ravenkit/raven/internal/uservalue"
)

// Client captures events and hands them to its transport. Create one with
// New, or use the default client through Init and the package-level
// functions. A Client is safe for concurrent use.
type Client struct {
	cfg       config
	dsn       *DSN // nil for a disabled client
	transport Transport
	pipe      *pipeline.Pipeline[*pending] // nil for a disabled client
	root      *Scope
	frames    *stack.Symbolizer
	static    staticInfo
	counters  counters
	reports   delivery.Reports
	closed    atomic.Bool
	closeOnce sync.Once
	closeDone chan struct{} // closed when the first Close returns
	closeErr  error
	ext       clientExt // outbox and crash reporter (outbox.go, crash.go)
	fpLimit   *fingerprintLimiter
}

// staticInfo is computed once per client and shared by every event.
type staticInfo struct {
	serverName string
	contexts   map[string]map[string]any
	modules    map[string]string
	sdk        *SDKInfo
}

// New creates a client. With no DSN (neither WithDSN nor SENTRY_DSN) the
// client is disabled: it starts no goroutine and captures cost next to
// nothing. An invalid DSN or option is an error.
func New(opts ...Option) (*Client, error) {
	c := &Client{cfg: defaultConfig()}
	if err := c.cfg.resolve(opts); err != nil {
		return nil, err
	}
	c.root = newScope(c, c.cfg.maxBreadcrumbs)
	if c.cfg.dsn == "" && c.cfg.transport == nil && c.cfg.spotlight == "" {
		return c, nil // disabled
	}
	if c.cfg.dsn != "" {
		d, err := ParseDSN(c.cfg.dsn)
		if err != nil {
			return nil, err
		}
		c.dsn = d
	}
	c.transport = c.cfg.transport
	if c.transport == nil && c.dsn != nil {
		t, err := NewHTTPTransport(c.dsn, append([]TransportOption{WithTransportLogger(c.cfg.logger),
			withIdleConns(c.cfg.senders)}, c.cfg.httpOpts...)...)
		if err != nil {
			return nil, err
		}
		c.transport = t
	}
	if c.cfg.spotlight != "" {
		c.transport = newSpotlight(c.cfg.spotlight, c.transport, c.cfg.logger)
	}
	if c.cfg.fpLimit > 0 {
		c.fpLimit = newFingerprintLimiter(c.cfg.fpLimit, c.cfg.fpBurst)
	}
	c.frames = stack.NewSymbolizer(c.cfg.inAppInclude, c.cfg.inAppExclude, c.cfg.contextLines, c.cfg.maxFrames)
	c.static = newStaticInfo(c.cfg.serverName)
	pipe, err := c.newPipe()
	if err != nil {
		return nil, err
	}
	c.pipe = pipe
	if err := c.initExt(); err != nil {
		return nil, err
	}
	return c, nil
}

// Enabled reports whether the client sends events anywhere.
func (c *Client) Enabled() bool { return c != nil && c.pipe != nil }

// DSN returns the client's parsed DSN, or nil.
func (c *Client) DSN() *DSN { return c.dsn }

// Scope returns the client's root scope, the parent of every scope forked
// with WithScope from a context carrying none.
func (c *Client) Scope() *Scope { return c.root }

var defaultClient atomic.Pointer[Client]

var disabledClient = func() *Client {
	c := &Client{cfg: defaultConfig()}
	c.cfg.logger = slog.New(discardHandler{})
	c.root = newScope(c, c.cfg.maxBreadcrumbs)
	return c
}()

// Init creates a client with New and makes it the default used by the
// package-level functions. The previous default client is not closed.
func Init(opts ...Option) error {
	c, err := New(opts...)
	if err != nil {
		return err
	}
	defaultClient.Store(c)
	return nil
}

// SetDefault makes c the default client; nil restores a disabled one.
func SetDefault(c *Client) { defaultClient.Store(c) }

// CurrentClient returns the default client (a disabled one before Init).
func CurrentClient() *Client {
	if c := defaultClient.Load(); c != nil {
		return c
	}
	return disabledClient
}

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
	c.counters.captured.Add(1)
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
	p := pendingPool.Get().(*pending)
	*p = pending{id: id, ts: time.Now(), level: o.level, err: o.err, msg: o.msg, panicVal: o.panicVal,
		panicked: o.panicked, handled: !o.panicked, mechanism: o.mechanism, event: o.event}
	needStack := o.panicked ||
		(o.err != nil && !errchain.HasOwnStack(o.err)) ||
		(o.err == nil && o.event == nil && c.cfg.attachStacktrace)
	if needStack {
		p.pcs = stack.CapturePCs(o.skip+2, p.pcsBuf[:])
	}
	if s != nil {
		p.scope = s.snapshot()
		if p.scope.reqSrc != nil && p.scope.request == nil {
			p.request = safeRequest(p.scope.reqSrc)
		}
	}
	switch c.pipe.Enqueue(classError, p, p.estimate()) {
	case pipeline.Full:
		releasePending(p)
		c.recordDrop(Drop{Reason: DropQueueOverflow, EventID: id, Count: 1}, false)
	case pipeline.Closed:
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
	return c.capture(c.scopeFor(ctx), captureOpts{level: LevelError, err: err, mechanism: "generic", skip: 0})
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
	return c.capture(c.scopeFor(ctx), captureOpts{level: LevelInfo, msg: msg, skip: 0})
}

// CaptureEvent sends a fully built event, merged with the scope ctx
// carries. The event must not be modified afterwards.
func (c *Client) CaptureEvent(ctx context.Context, e *Event) EventID {
	if c == nil || c.pipe == nil || e == nil {
		return ""
	}
	return c.capture(c.scopeFor(ctx), captureOpts{level: e.Level, event: e, skip: 0})
}

// CapturePanic reports a recovered panic value with the scope ctx carries.
// Call it from the deferred function that recovered, so the stack still
// shows where the panic happened. A nil value is ignored.
func (c *Client) CapturePanic(ctx context.Context, v any) EventID {
	if v == nil || c == nil || c.pipe == nil {
		return ""
	}
	return c.capturePanic(c.scopeFor(ctx), v, 1)
}

func (c *Client) capturePanic(s *Scope, v any, skip int) EventID {
	o := captureOpts{level: LevelFatal, panicVal: v, panicked: true, mechanism: "panic", skip: skip + 1}
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
		c.capturePanic(c.root, v, 1)
	}
}

// RecoverContext is Recover with the scope ctx carries.
func (c *Client) RecoverContext(ctx context.Context) {
	if v := recover(); v != nil {
		c.capturePanic(c.scopeFor(ctx), v, 1)
	}
}

// RecoverRepanic reports a panic, waits up to DefaultRepanicFlushTimeout
// for it to be delivered, then panics again with the same value.
func (c *Client) RecoverRepanic(ctx context.Context) {
	if v := recover(); v != nil {
		c.capturePanic(c.scopeFor(ctx), v, 1)
		fctx, cancel := context.WithTimeout(context.Background(), DefaultRepanicFlushTimeout)
		_ = c.Flush(fctx)
		cancel()
		panic(v)
	}
}

// Flush waits until every event captured before the call has been
// delivered or dropped (and counted), or, with WithOutbox, written to the
// outbox and not deliverable now (the server cannot be reached or answers
// 5xx): such events are counted in Stats().Stored, and the outbox sends
// them later, from this process or the next one. A nil error thus means
// that nothing captured before the call is only in memory any more; it
// does not mean that everything reached the server (compare
// Stats().Delivered). It returns ctx.Err() if ctx ends first, whatever
// hooks, values or the transport do: Flush never waits past ctx. Safe to
// call concurrently and after Close.
func (c *Client) Flush(ctx context.Context) error {
	if c == nil || c.pipe == nil {
		return nil
	}
	if err := c.pipe.Flush(ctx); err != nil {
		return err
	}
	if err := c.transportCall(ctx, func() error { c.sendClientReport(ctx); return nil }); err != nil {
		return err
	}
	return c.transportCall(ctx, func() error { return c.transport.Flush(ctx) })
}

// transportCall calls f, which uses the transport, so that it returns by
// ctx's deadline: the SDK's own transports honour ctx (and the outbox
// finishes writing its files before it returns, a matter of
// milliseconds), so f runs on the caller's goroutine; a user's Transport
// (WithTransport) may not, so f runs through within.
func (c *Client) transportCall(ctx context.Context, f func() error) error {
	if c.cfg.transport == nil {
		return f()
	}
	return within(ctx, f)
}

// closeReserve is the time Close keeps for stopping after the queue was
// given the rest to drain: at most this, and at most a quarter of ctx's
// time. When ctx has no deadline or has already ended by then, stopping
// takes at most this long.
const closeReserve = 100 * time.Millisecond

// Close flushes, then stops every goroutine the client started, and
// returns by ctx's deadline whatever hooks, values or the transport do
// (when ctx has no deadline, or has already ended, stopping after the
// flush takes at most 100 ms). Events still queued when ctx is about to
// end are stored in the outbox (WithOutbox) or dropped as
// DropNetworkError; an event that user code (a BeforeSend hook, an event
// processor, a value's MarshalJSON) still holds then is abandoned and
// counted as DropClosed, once, even if the code returns later. A send in
// progress is cancelled; one through a Transport that ignores its context
// stays Pending until it returns. Later captures are no-ops. It returns
// ctx.Err() when ctx ended before everything was done. Safe to call twice
// and concurrently: a later call waits for the first one, or for its own
// ctx.
func (c *Client) Close(ctx context.Context) error {
	if c == nil || c.pipe == nil {
		return nil
	}
	first := false
	c.closeOnce.Do(func() {
		first = true
		c.closeDone = make(chan struct{})
	})
	if !first {
		select {
		case <-c.closeDone:
			return c.closeErr
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	c.closed.Store(true)
	flushCtx := ctx
	dl, hasDL := ctx.Deadline()
	if hasDL {
		var cancel context.CancelFunc
		flushCtx, cancel = context.WithDeadline(ctx, dl.Add(-min(closeReserve, time.Until(dl)/4)))
		defer cancel()
	}
	err := c.pipe.Flush(flushCtx)

	// Stopping: half of what is left for the senders to return, the rest
	// for storing what is still queued and closing the transport.
	now := time.Now()
	end := now.Add(closeReserve)
	if hasDL && dl.After(now) {
		end = dl
	}
	base := context.WithoutCancel(ctx)
	stopCtx, cancelStop := context.WithDeadline(base, now.Add(end.Sub(now)/2))
	defer cancelStop()
	endCtx, cancelEnd := context.WithDeadline(base, end)
	defer cancelEnd()
	var left []*pending
	serr := c.pipe.Close(stopCtx, func(_ int, p *pending, inFlight bool) {
		if inFlight {
			c.abandon(p) // user code still holds it
		} else {
			left = append(left, p)
		}
	})
	if err == nil {
		err = serr
	}
	if derr := c.drainLeft(endCtx, left); err == nil {
		err = derr
	}
	if err == nil {
		err = c.transportCall(endCtx, func() error { c.sendClientReport(endCtx); return nil })
	}
	if terr := c.transportCall(endCtx, func() error { return c.transport.Close(ctx) }); err == nil {
		err = terr
	}
	if xerr := within(endCtx, func() error { c.closeExt(); return nil }); err == nil {
		err = xerr
	}
	c.closeErr = err
	close(c.closeDone)
	return err
}

// abandon counts a capture that a sender still builds when Close must
// return; the sender, when the user code it waits for returns, finds the
// capture settled and counts nothing. The pipeline never releases a
// capture it handed over as in flight, so p stays valid.
func (c *Client) abandon(p *pending) {
	if p.settle() {
		c.recordDrop(Drop{Reason: DropClosed, EventID: p.id, Count: 1, Err: errors.New("raven: Close returned while user code still built the event")}, true)
	}
}

// drainLeft accounts for captures still queued at Close: with an outbox
// they are built and stored, else dropped. Building runs user code, so it
// runs on its own goroutine; what it has not settled when ctx ends is
// abandoned (DropClosed).
func (c *Client) drainLeft(ctx context.Context, left []*pending) error {
	if len(left) == 0 {
		return nil
	}
	if c.ext.outbox == nil {
		for _, p := range left {
			if p.settle() {
				c.recordDrop(Drop{Reason: DropNetworkError, EventID: p.id, Count: 1, Err: errors.New("client closed before delivery")}, false)
			}
			releasePending(p)
		}
		return nil
	}
	err := within(ctx, func() error {
		for _, p := range left {
			c.drainToOutbox(p)
		}
		return nil
	})
	if err != nil {
		// The drain goroutine may still hold any of these: they are not
		// returned to the pool.
		for _, p := range left {
			c.abandon(p)
		}
	}
	return err
}

// within runs f on its own goroutine and waits until it returns or ctx
// ends. It is how Flush and Close call code that may block regardless of
// ctx (hooks, values' MarshalJSON, a user's Transport): the caller gets
// ctx.Err() at the deadline, and f finishes on its own.
func within(ctx context.Context, f func() error) error {
	if ctx.Done() == nil {
		return f()
	}
	done := make(chan error, 1) // f runs even when ctx has ended: it may release resources
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// sendClientReport sends accumulated client reports on their own.
func (c *Client) sendClientReport(ctx context.Context) {
	m := c.reports.Take()
	if len(m) == 0 {
		return
	}
	env := &Envelope{Header: EnvelopeHeader{SentAt: time.Now(), SDK: c.static.sdk}}
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
				c.recordDrop(Drop{Reason: DropEventProcessor, EventID: p.id, Count: 1, Err: fmt.Errorf("panic: %v", r)}, false)
			}
		}
	}()
	ev, reason, err := c.buildEvent(p)
	if ev == nil {
		if p.settle() {
			c.recordDrop(Drop{Reason: reason, EventID: p.id, Count: 1, Err: err}, false)
		}
		return out
	}
	if c.fpLimit != nil && !c.fpLimit.allow(ev) {
		if p.settle() {
			c.recordDrop(Drop{Reason: DropRateLimit, EventID: p.id, Count: 1, Err: errors.New("fingerprint rate limit")}, false)
		}
		return out
	}
	payload, err := encodeEvent(ev, MaxEventBytes)
	if err != nil {
		if p.settle() {
			c.recordDrop(Drop{Reason: DropEventProcessor, EventID: p.id, Count: 1, Err: err}, false)
		}
		return out
	}
	if !p.settle() {
		return out // abandoned by Close while user code built it
	}
	// From here the envelope accounts for the event: it is pending until
	// the send or the outbox settles it, which Close does not abandon
	// (sends honour the cancelled context).
	env := c.eventEnvelope(ev.EventID, payload)
	reports := c.reports.Take()
	if len(reports) > 0 {
		env.Items = append(env.Items, delivery.ReportItem(reports, time.Now()))
	}
	if o := c.ext.outbox; o != nil && o.WriteAhead(env, reports, c.reports.Restore) {
		return out // on disk; the outbox sends it
	}
	return c.deliver(ctx, env, reports)
}

// eventEnvelope wraps an encoded event.
func (c *Client) eventEnvelope(id EventID, payload []byte) *Envelope {
	env := &Envelope{Header: EnvelopeHeader{EventID: id, SentAt: time.Now(), SDK: c.static.sdk}}
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
		c.counters.delivered.Add(uint64(env.EventCount()))
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

// buildEvent turns a pending capture into an event; a nil event comes with
// the reason it was dropped.
func (c *Client) buildEvent(p *pending) (ev *Event, reason DropReason, err error) {
	defer func() {
		if r := recover(); r != nil {
			ev, reason, err = nil, DropEventProcessor, fmt.Errorf("raven: building event panicked: %v", r)
			c.cfg.logger.Error("raven: building event panicked", slog.Any("panic", r), slog.String("stack", string(debug.Stack())))
		}
	}()
	if p.event != nil {
		cp := *p.event
		ev = &cp
	} else {
		ev = &Event{}
	}
	ev.EventID = p.id
	if ev.Timestamp.IsZero() {
		ev.Timestamp = p.ts
	}
	ev.Platform = "go"
	if ev.Level == "" {
		ev.Level = p.level
	}
	if ev.Level == "" {
		ev.Level = LevelError
	}
	setDefault(&ev.Release, c.cfg.release)
	setDefault(&ev.Environment, c.cfg.environment)
	setDefault(&ev.Dist, c.cfg.dist)
	setDefault(&ev.ServerName, c.static.serverName)
	if ev.SDK == nil {
		ev.SDK = c.static.sdk
	}
	if ev.Modules == nil {
		ev.Modules = c.static.modules
	}
	ev.Contexts = mergeContexts(c.static.contexts, ev.Contexts)
	c.applyScope(ev, p.scope, p.request)

	switch {
	case p.err != nil:
		c.addException(ev, p)
	case p.panicked:
		msg := protocol.Clamp(uservalue.Describe(p.panicVal), protocol.MaxValueBytes)
		typ := "panic"
		if _, isStr := p.panicVal.(string); !isStr {
			typ = fmt.Sprintf("%T", p.panicVal) // panic(customType{...})
		}
		exc := Exception{Type: typ, Value: msg, Mechanism: &Mechanism{Type: "panic", Handled: new(false)}}
		if p.pcs != nil {
			exc.Stacktrace = c.stack(p.pcs, true)
		}
		ev.Exception = &ExceptionList{Values: []Exception{exc}}
	case p.event == nil:
		ev.Message = &LogEntry{Formatted: protocol.Clamp(p.msg, protocol.MaxValueBytes)}
		if p.pcs != nil {
			ev.Threads = &ThreadList{Values: []Thread{{ID: 0, Current: true, Crashed: false, Stacktrace: c.stack(p.pcs, false)}}}
		}
	}

	normalize(ev)
	if cuts := uservalue.PlainEvent(ev, true); cuts > 0 {
		c.cfg.logger.Debug("raven: user values cut to their bounds", slog.String("event_id", string(ev.EventID)), slog.Int("placeholders", cuts))
	}
	c.cfg.scrub.Event(ev)
	if c.ignored(ev) {
		return nil, DropEventProcessor, errors.New("raven: matched IgnoreErrors")
	}
	for _, f := range c.cfg.processors {
		if ev = c.runHook(f, ev, "event processor"); ev == nil {
			return nil, DropEventProcessor, nil
		}
	}
	if c.cfg.beforeSend != nil {
		if ev = c.runHook(c.cfg.beforeSend, ev, "BeforeSend"); ev == nil {
			return nil, DropBeforeSend, nil
		}
	}
	return ev, "", nil
}

func (c *Client) runHook(f func(*Event) *Event, ev *Event, name string) (out *Event) {
	defer func() {
		if r := recover(); r != nil {
			c.cfg.logger.Error("raven: "+name+" panicked; event dropped", slog.Any("panic", r))
			out = nil
		}
	}()
	return f(ev)
}

func (c *Client) runBeforeBreadcrumb(b *Breadcrumb) (out *Breadcrumb) {
	defer func() {
		if r := recover(); r != nil {
			c.cfg.logger.Error("raven: BeforeBreadcrumb panicked; breadcrumb dropped", slog.Any("panic", r))
			out = nil
		}
	}()
	return c.cfg.beforeBreadcrumb(b)
}

func (c *Client) stack(pcs []uintptr, panicking bool) *Stacktrace {
	frames := c.frames.Symbolize(pcs, panicking)
	if len(frames) == 0 {
		return nil
	}
	return &Stacktrace{Frames: frames}
}

// addException turns the error chain into exceptions, innermost first.
func (c *Client) addException(ev *Event, p *pending) {
	links := errchain.Walk(p.err, c.cfg.maxErrorDepth)
	if len(links) == 0 {
		return
	}
	mechType := p.mechanism
	if mechType == "" {
		mechType = "generic"
	}
	excs := make([]Exception, len(links))
	for i, l := range links {
		e := l.Exc
		m := &Mechanism{Type: "chained", Source: "", ExceptionID: i, IsExceptionGroup: l.Group}
		if l.Parent >= 0 {
			m.ParentID = new(int)
			*m.ParentID = l.Parent
		} else {
			m.Type = mechType
			m.Handled = new(p.handled)
		}
		e.Mechanism = m
		pcs, panicking := l.PCs, false
		if i == 0 && pcs == nil && p.pcs != nil {
			// the capture site (or the panic site) for the outermost link
			// when it carries no stack of its own
			pcs, panicking = p.pcs, p.panicked
		}
		if pcs != nil {
			e.Stacktrace = c.stack(pcs, panicking)
		}
		excs[len(links)-1-i] = e
	}
	ev.Exception = &ExceptionList{Values: excs}
}

func (c *Client) ignored(ev *Event) bool {
	if len(c.cfg.ignoreErrors) == 0 {
		return false
	}
	match := func(s string) bool {
		for _, re := range c.cfg.ignoreErrors {
			if s != "" && re.MatchString(s) {
				return true
			}
		}
		return false
	}
	if ev.Message != nil && (match(ev.Message.Formatted) || match(ev.Message.Message)) {
		return true
	}
	if ev.Exception != nil {
		for _, e := range ev.Exception.Values {
			if match(e.Value) || match(e.Type) {
				return true
			}
		}
	}
	return false
}

func (c *Client) applyScope(ev *Event, d *scopeData, req *Request) {
	if len(c.cfg.tags) > 0 || (d != nil && len(d.tags) > 0) {
		tags := make(map[string]string, len(c.cfg.tags)+len(ev.Tags))
		maps.Copy(tags, c.cfg.tags)
		if d != nil {
			maps.Copy(tags, d.tags)
		}
		maps.Copy(tags, ev.Tags)
		ev.Tags = tags
	}
	if d == nil {
		return
	}
	if len(d.extra) > 0 {
		extra := maps.Clone(d.extra)
		maps.Copy(extra, ev.Extra)
		ev.Extra = extra
	}
	for k, v := range d.contexts {
		if _, ok := ev.Contexts[k]; !ok {
			ev.Contexts[k] = v
		}
	}
	if d.trace != nil && ev.Contexts["trace"] == nil {
		tc := map[string]any{"trace_id": d.trace.TraceID, "span_id": d.trace.SpanID, "type": "trace"}
		if d.trace.ParentSpanID != "" {
			tc["parent_span_id"] = d.trace.ParentSpanID
		}
		if d.trace.Sampled != nil {
			tc["sampled"] = *d.trace.Sampled
		}
		ev.Contexts["trace"] = tc
	}
	if ev.User == nil && d.user != nil {
		u := *d.user
		ev.User = &u
	}
	if ev.Request == nil {
		ev.Request = d.request
	}
	if ev.Request == nil {
		ev.Request = req
	}
	if ev.Fingerprint == nil {
		ev.Fingerprint = d.fingerprint
	}
	if d.level != "" {
		ev.Level = d.level
	}
	if ev.Transaction == "" {
		ev.Transaction = d.transaction
	}
	if crumbs := d.breadcrumbs(); len(crumbs) > 0 {
		if ev.Breadcrumbs == nil {
			ev.Breadcrumbs = &BreadcrumbList{}
		}
		ev.Breadcrumbs.Values = append(crumbs, ev.Breadcrumbs.Values...)
	}
}

func mergeContexts(static, own map[string]map[string]any) map[string]map[string]any {
	out := make(map[string]map[string]any, len(static)+len(own)+2)
	maps.Copy(out, static)
	maps.Copy(out, own)
	return out
}

func setDefault(dst *string, v string) {
	if *dst == "" {
		*dst = v
	}
}

func newStaticInfo(serverName string) staticInfo {
	if serverName == "" {
		serverName, _ = os.Hostname()
	}
	s := staticInfo{
		serverName: serverName,
		contexts: map[string]map[string]any{
			"os":      {"type": "os", "name": runtime.GOOS},
			"runtime": {"type": "runtime", "name": "go", "version": runtime.Version()},
			"device":  {"type": "device", "arch": runtime.GOARCH, "processor_count": runtime.NumCPU()},
		},
		sdk: &SDKInfo{Name: SDKName, Version: SDKVersion, Packages: []SDKPackage{{Name: "go:" + stack.SDKModule, Version: SDKVersion}}},
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		s.modules = make(map[string]string, len(bi.Deps)+1)
		if bi.Main.Path != "" {
			s.modules[bi.Main.Path] = bi.Main.Version
		}
		for _, d := range bi.Deps {
			v := d.Version
			if d.Replace != nil {
				v = d.Replace.Version
				if v == "" {
					v = "replaced:" + d.Replace.Path
				}
			}
			s.modules[d.Path] = v
		}
	}
	return s
}

// vcsRevision is the VCS revision recorded in the binary, or "".
func vcsRevision() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev != "" && dirty {
		rev += "-dirty"
	}
	return rev
}

// MaxEventBytes is the largest event payload sent; larger events are
// trimmed to fit (Relay rejects events over 1 MiB).
const MaxEventBytes = protocol.MaxEventBytes

// encodeEvent marshals ev, trimming it to fit limit bytes.
func encodeEvent(ev *Event, limit int) ([]byte, error) {
	// ev.MarshalJSON output is already compact: going through
	// json.Marshal(ev) would scan the whole payload once more.
	b, err := ev.MarshalJSON()
	if err != nil {
		// A hook put a value that JSON cannot hold (a channel, NaN, a
		// cycle) in the event after its values were made plain: make
		// them plain again rather than lose the event.
		uservalue.PlainEvent(ev, true)
		if b, err = ev.MarshalJSON(); err != nil {
			return nil, err
		}
	}
	if len(b) <= limit {
		return b, nil
	}
	return trim.ToFit(ev, b, limit)
}

// maxTagBytes is Relay's limit for tag keys and values.
const maxTagBytes = 200

// normalize makes user-supplied fields acceptable to the server: a known
// level, tags within Relay's length limit, valid UTF-8.
func normalize(ev *Event) {
	switch ev.Level {
	case LevelDebug, LevelInfo, LevelWarning, LevelError, LevelFatal:
	default:
		ev.Level = LevelError
	}
	for k, v := range ev.Tags {
		ck, cv := clampTag(k), clampTag(v)
		if ck != k {
			delete(ev.Tags, k)
		}
		ev.Tags[ck] = cv
	}
}

func clampTag(s string) string {
	if len(s) <= maxTagBytes && utf8.ValidString(s) {
		return s
	}
	return protocol.Clamp(s, maxTagBytes-len("…"))
}

// safeRequest asks an integration's RequestSource for the request,
// tolerating a panic.
func safeRequest(src RequestSource) (r *Request) {
	defer func() {
		if recover() != nil {
			r = nil
		}
	}()
	return src.SentryRequest()
}
