package raven

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/ravenkit/raven/internal/builder"
	"github.com/ravenkit/raven/internal/crashmon"
	"github.com/ravenkit/raven/internal/outbox"
	"github.com/ravenkit/raven/internal/scope"
	"github.com/ravenkit/raven/internal/uservalue"
)

// EnvCrashMonitor is set to "1" in the environment of the crash monitor
// process. CrashMonitor checks it; a program never sets it itself.
const EnvCrashMonitor = crashmon.EnvMonitor

// Defaults of crash reporting.
const (
	// DefaultCrashScopeInterval is how often the root scope is saved for
	// crash events when it changed.
	DefaultCrashScopeInterval = time.Second
	// DefaultCrashTraceback is the GOTRACEBACK level set by
	// WithCrashReporting (unless GOTRACEBACK is set in the environment):
	// "all" prints every goroutine, which become the event's threads.
	DefaultCrashTraceback = "all"
	// DefaultCrashSendTimeout bounds how long the monitor tries to send a
	// crash event before storing it in the outbox.
	DefaultCrashSendTimeout = 10 * time.Second
)

// CrashOption configures WithCrashReporting.
type CrashOption interface{ applyCrash(*crashConfig) }

type crashOptionFunc func(*crashConfig)

func (f crashOptionFunc) applyCrash(c *crashConfig) { f(c) }

type crashConfig struct {
	toOutbox      bool
	scopeInterval time.Duration
	traceback     string
}

// CrashToOutbox writes the crash output to a file in the outbox (see
// WithOutbox, required) instead of starting a monitor process; the crash is
// reported by the next client created with the same outbox directory, for
// instance when the program is restarted. No second process runs, and
// CrashMonitor is not needed.
func CrashToOutbox() CrashOption {
	return crashOptionFunc(func(c *crashConfig) { c.toOutbox = true })
}

// WithCrashScopeInterval sets how often the root scope is saved for crash
// events when it changed (DefaultCrashScopeInterval when d <= 0).
func WithCrashScopeInterval(d time.Duration) CrashOption {
	return crashOptionFunc(func(c *crashConfig) {
		if d > 0 {
			c.scopeInterval = d
		}
	})
}

// WithCrashTraceback sets the traceback level (as runtime/debug.SetTraceback
// takes it: "single", "all", "system") used when GOTRACEBACK is not set in
// the environment. The empty string leaves the level alone.
func WithCrashTraceback(level string) CrashOption {
	return crashOptionFunc(func(c *crashConfig) { c.traceback = level })
}

// WithCrashReporting reports crashes (unrecovered panics in any goroutine,
// fatal runtime errors such as concurrent map writes) as fatal events.
// Such a crash kills the process before code in it can send anything, so
// the runtime's crash output (see runtime/debug.SetCrashOutput) goes to a
// place that outlives the process:
//
//   - by default, a monitor: a second copy of the program's own binary,
//     started with EnvCrashMonitor=1 and the read end of a pipe as its
//     standard input; the write end is the crash output. The monitor sleeps
//     on the pipe. When the program exits normally it reads end-of-file and
//     exits; when the program crashes it parses the crash output (see
//     ParseCrash), adds the scope the program last saved, and sends a fatal
//     event, or stores it in the outbox (WithOutbox) when the server cannot
//     be reached. The program must call CrashMonitor first thing in main.
//   - with CrashToOutbox, a file in the outbox directory: the next client
//     created with the same outbox finds it, parses it and sends the event.
//     No second process runs.
//
// In the default mode:
//
//	func main() {
//		raven.CrashMonitor() // returns at once unless this is the monitor
//		raven.Init(raven.WithDSN(dsn), raven.WithCrashReporting())
//		...
//	}
//
// The event carries the scope of the client's root scope (release,
// environment, server name, tags, user, contexts, extra, breadcrumbs),
// saved to a small JSON file at New and then, when it changed, at most once
// per WithCrashScopeInterval by a timer. Saving on every change would put
// file I/O on the capture path; the price of the interval is that changes
// made during the last interval before a crash may be missing from the
// crash event. Scopes forked with WithScope are not saved.
//
// The traceback level is raised to DefaultCrashTraceback ("all", see
// WithCrashTraceback) unless GOTRACEBACK is set, so every goroutine becomes
// a thread of the event. For fatal errors the runtime writes the message
// line ("fatal error: concurrent map writes") to standard error only, not
// to the crash output; such events name the error from the crashing frame
// where possible. Crash reporting has no effect on a disabled client (no
// DSN), and only one crash output exists per process: the last client
// created with WithCrashReporting owns it. The crash output stays in place
// after Close.
func WithCrashReporting(opts ...CrashOption) Option {
	return optionFunc(func(c *config) {
		cc := &crashConfig{scopeInterval: DefaultCrashScopeInterval, traceback: DefaultCrashTraceback}
		for _, o := range opts {
			if o != nil {
				o.applyCrash(cc)
			}
		}
		c.ext.crash = cc
	})
}

// CrashMonitor runs the crash monitor and exits the process when the
// program was started as one (EnvCrashMonitor is "1"); otherwise it returns
// at once. Call it first thing in main, before flags are parsed or any
// work starts, when using WithCrashReporting: the monitor is a copy of the
// program's own binary (package init functions run in it too, so they
// should not start work of their own). As a safety net, a client created with
// WithCrashReporting in a monitor process also runs the monitor and exits,
// so a missing call never makes the program run twice past New, and a
// monitor never starts another monitor.
func CrashMonitor() {
	if os.Getenv(EnvCrashMonitor) != "1" {
		return
	}
	os.Exit(crashmon.Run(os.Stdin, os.Getenv(crashmon.EnvState), func(st *crashmon.State, out []byte) error {
		return reportCrash(st, out, DefaultCrashSendTimeout)
	}))
}

// extConfig holds the options of crash reporting and the outbox.
type extConfig struct {
	outbox *outbox.Config
	crash  *crashConfig
}

// clientExt is the client's crash reporter and outbox, when enabled.
type clientExt struct {
	outbox *outbox.Outbox
	crash  *crashmon.Reporter
}

// initExt sets up the outbox and crash reporting of a new enabled client.
func (c *Client) initExt() error {
	cc := c.cfg.ext.crash
	if cc != nil && os.Getenv(EnvCrashMonitor) == "1" {
		CrashMonitor() // safety net: this process is a monitor
	}
	if oc := c.cfg.ext.outbox; oc != nil {
		o, err := outbox.New(*oc, c.transport, &c.counters, c.cfg.logger, c.dsn, c.maxSenders())
		if err != nil {
			return err
		}
		o.Start()
		c.transport = o
		c.ext.outbox = o
		o.CollectCrashFiles(MaxCrashOutputBytes, func(out, state []byte) {
			ev := crashmon.Event(crashmon.StateOf(state), out)
			ev.SDK = c.build.Static.SDK
			if c.dsn != nil {
				c.capture(nil, captureOpts{level: LevelFatal, event: ev})
			}
		})
	}
	if cc != nil {
		if cc.toOutbox && c.ext.outbox == nil {
			return errors.New("raven: CrashToOutbox needs WithOutbox")
		}
		r, err := c.startCrashReporter(*cc)
		if err != nil {
			// crash reporting is best effort: the program runs on without it
			c.cfg.logger.Warn("raven: crash reporting not started", slog.Any("error", err))
		} else {
			c.ext.crash = r
		}
	}
	return nil
}

// closeExt stops the crash reporter's scope saving. The crash output stays
// in place: a crash after Close is still reported.
func (c *Client) closeExt() {
	if r := c.ext.crash; r != nil {
		r.Stop()
	}
}

// drainToOutbox stores a capture still queued at Close in the outbox: the
// event is built, encoded and queued for the outbox's writer, which Close
// waits for. Every outcome is counted, unless Close abandoned the capture
// first (see prepare).
func (c *Client) drainToOutbox(p *pending) {
	env := c.prepare(p, false)
	if env != nil && !c.ext.outbox.Store(env) {
		c.recordDrop(Drop{Reason: DropNetworkError, EventID: p.ID, Count: 1, Err: errors.New("client closed before delivery")}, false)
	}
}

// reportCrash sends the crash event of a program that died, or stores it in
// the outbox when it cannot be sent.
func reportCrash(st *crashmon.State, out []byte, timeout time.Duration) error {
	ev := crashmon.Event(st, out)
	opts := []Option{WithDSN(st.DSN), WithSampleRate(1), withoutEnv(), WithRelease(ev.Release), WithEnvironment(ev.Environment),
		WithScrubKeys(st.ScrubKeys...), WithScrubPatterns(st.ScrubPatterns...), WithDefaultScrubPatterns(!st.NoDefaultScrubPatterns)}
	if st.Outbox != "" {
		opts = append(opts, WithOutbox(st.Outbox))
	}
	c, err := New(opts...)
	if err != nil {
		return err
	}
	if !c.Enabled() {
		return errors.New("no DSN to report the crash to")
	}
	c.CaptureEvent(context.Background(), ev)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	_ = c.Close(ctx)
	s := c.Stats()
	if s.Delivered == 0 && s.DroppedTotal() > 0 {
		return fmt.Errorf("crash event %s not delivered: %v", ev.EventID, s.Dropped)
	}
	return nil
}

// startCrashReporter starts crashmon with the client's settings; the
// scope it saves is the root scope, applied to an event, bounded and
// scrubbed like an event (no user method runs: this runs under the lock
// Close takes).
func (c *Client) startCrashReporter(cc crashConfig) (*crashmon.Reporter, error) {
	base := crashmon.State{PID: os.Getpid(), InAppInclude: c.cfg.inAppInclude, InAppExclude: c.cfg.inAppExclude,
		ContextLines: c.cfg.contextLines, ScrubKeys: c.cfg.scrubKeys, ScrubPatterns: c.cfg.scrubPatternSrc,
		NoDefaultScrubPatterns: c.cfg.noDefaultScrubPatterns}
	if c.dsn != nil {
		base.DSN = crashmon.DSNWithoutSecret(c.dsn)
	}
	cfg := crashmon.Config{ToOutbox: cc.toOutbox, ScopeInterval: cc.scopeInterval, Traceback: cc.traceback, Base: base, Logger: c.cfg.logger}
	if c.ext.outbox != nil {
		cfg.Base.Outbox = c.ext.outbox.Dir()
		cfg.OutboxDir = cfg.Base.Outbox
	}
	cfg.Scope = func(last any) (any, *Event) {
		d := c.root.snapshot()
		if prev, ok := last.(*scope.Data); ok && prev == d {
			return d, nil
		}
		ev := &Event{Platform: "go", Release: c.cfg.release, Environment: c.cfg.environment, Dist: c.cfg.dist,
			ServerName: c.build.Static.ServerName, SDK: c.build.Static.SDK, Contexts: builder.MergeContexts(c.build.Static.Contexts, nil)}
		d.Apply(ev, c.cfg.tags, nil)
		ev.Level = ""
		if cuts := uservalue.PlainEvent(ev, false); cuts > 0 {
			c.cfg.logger.Debug("raven: scope values cut to their bounds for the crash state", slog.Int("placeholders", cuts))
		}
		c.cfg.scrub.Event(ev)
		return d, ev
	}
	return crashmon.Start(cfg)
}
