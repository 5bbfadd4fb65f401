package raven

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ravenkit/raven/internal/builder"
	"github.com/ravenkit/raven/internal/httpsend"
	"github.com/ravenkit/raven/internal/ratelimit"
	"github.com/ravenkit/raven/internal/telemetry"

	"github.com/ravenkit/raven/internal/delivery"
	"github.com/ravenkit/raven/internal/pipeline"
	"github.com/ravenkit/raven/internal/stack"
)

// Client captures events and hands them to its transport. Create one with
// New, or use the default client through Init and the package-level
// functions. A Client is safe for concurrent use.
type Client struct {
	cfg       config
	dsn       *DSN // nil for a disabled client
	transport Transport
	pipe      *pipeline.Pipeline[*pending] // nil for a disabled client
	sites     pipeline.Sites               // flood control (internal/pipeline/sites.go)
	root      *Scope
	build     builder.Builder
	counters  delivery.Counters
	reports   delivery.Reports
	closed    atomic.Bool
	closeOnce sync.Once
	closeDone chan struct{} // closed when the first Close returns
	closeErr  error
	ext       clientExt // outbox and crash reporter (outbox.go, crash.go)
	fpLimit   *ratelimit.Fingerprints
	http      *HTTPTransport // the default transport, when it is one (its rate limits)
}

// New creates a client. With no DSN (neither WithDSN nor SENTRY_DSN) the
// client is disabled: it starts no goroutine and captures cost next to
// nothing. An invalid DSN or option is an error.
func New(opts ...Option) (*Client, error) {
	c := &Client{cfg: defaultConfig()}
	c.counters.OnDrop = c.recordDrop
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
			withIdleConns(c.maxSenders())}, c.cfg.httpOpts...)...)
		if err != nil {
			return nil, err
		}
		c.transport, c.http = t, t
	}
	if c.cfg.spotlight != "" {
		c.transport = httpsend.NewSpotlight(c.cfg.spotlight, c.transport, c.cfg.logger)
	}
	if c.cfg.fpLimit > 0 {
		c.fpLimit = ratelimit.NewFingerprints(c.cfg.fpLimit, c.cfg.fpBurst)
	}
	c.build = builder.Builder{Release: c.cfg.release, Environment: c.cfg.environment, Dist: c.cfg.dist, Tags: c.cfg.tags,
		Static: builder.NewStatic(c.cfg.serverName, &SDKInfo{Name: SDKName, Version: SDKVersion,
			Packages: []SDKPackage{{Name: "go:" + stack.SDKModule, Version: SDKVersion}}}),
		Frames:        stack.NewSymbolizer(c.cfg.inAppInclude, c.cfg.inAppExclude, c.cfg.contextLines, c.cfg.maxFrames),
		MaxErrorDepth: c.cfg.maxErrorDepth, Scrub: c.cfg.scrub, IgnoreErrors: c.cfg.ignoreErrors,
		Processors: c.cfg.processors, BeforeSend: c.cfg.beforeSend, IgnoreIs: c.cfg.ignoreIs, Logger: c.cfg.logger}
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
	c.cfg.logger = slog.New(slog.DiscardHandler)
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
	serr := c.pipe.Close(stopCtx, func(class int, p *pending, inFlight bool) {
		if class != classError { // items of other kinds are not stored
			if inFlight {
				c.abandonItem(p, telemetry.Kind(class), DropClosed)
			} else {
				c.abandonItem(p, telemetry.Kind(class), DropNetworkError)
				releasePending(p)
			}
			return
		}
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
		c.recordDrop(Drop{Reason: DropClosed, EventID: p.ID, Count: 1, Err: errors.New("raven: Close returned while user code still built the event")}, true)
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
				c.recordDrop(Drop{Reason: DropNetworkError, EventID: p.ID, Count: 1, Err: errors.New("client closed before delivery")}, false)
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
