package raven

import (
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"time"

	"github.com/ravenkit/raven/internal/builder"
	"github.com/ravenkit/raven/internal/errchain"
	"github.com/ravenkit/raven/internal/scope"
	"github.com/ravenkit/raven/internal/scrub"
	"github.com/ravenkit/raven/internal/stack"
	"github.com/ravenkit/raven/internal/telemetry"
	"github.com/ravenkit/raven/internal/uservalue"
	"golang.org/x/time/rate"
)

// Defaults for options left unset.
const (
	// DefaultSampleRate sends every error event.
	DefaultSampleRate = 1.0
	// DefaultContextLines is how many source lines are attached above and
	// below each in-app frame's line.
	DefaultContextLines = 5
	// DefaultQueueSize bounds how many captured events wait for delivery.
	DefaultQueueSize = 5000
	// DefaultQueueBytes bounds the estimated memory of waiting events.
	DefaultQueueBytes = 64 << 20
	// DefaultSenders is how many events are processed and sent at once
	// when a backlog starts (a burst, a slow server). Without WithSenders
	// the number adapts: it grows by one after each round of healthy
	// answers while a backlog waits, up to DefaultMaxSenders, and halves on
	// 429, 5xx and network failures. See WithSenders.
	DefaultSenders = 4
	// DefaultMaxSenders bounds the adaptive concurrency of a client
	// created without WithSenders.
	DefaultMaxSenders = 16
	// DefaultRepanicFlushTimeout bounds how long RecoverRepanic waits for
	// the panic's event to be delivered before panicking again.
	DefaultRepanicFlushTimeout = 2 * time.Second
)

// Environment variables read by New; explicit options win over them.
const (
	EnvDSN         = "SENTRY_DSN"
	EnvRelease     = "SENTRY_RELEASE"
	EnvEnvironment = "SENTRY_ENVIRONMENT"
	// EnvSpotlight enables Spotlight: "1" or "true" for DefaultSpotlightURL,
	// or the sidecar's URL.
	EnvSpotlight = "SENTRY_SPOTLIGHT"
)

// Option configures a Client.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	dsn, release, environment, dist, serverName string
	dsnSet, releaseSet, environmentSet          bool
	sampleRate                                  float64
	sendersSet                                  bool // WithSenders: no adaptation
	ignoreErrors                                []*regexp.Regexp
	ignoreErrorsSrc                             []string
	beforeSend                                  func(*Event, *EventHint) *Event
	ignoreIs                                    []error
	beforeBreadcrumb                            func(*Breadcrumb) *Breadcrumb
	processors                                  []func(*Event) *Event
	maxBreadcrumbs                              int
	attachStacktrace                            bool
	inAppInclude, inAppExclude                  []string
	contextLines                                int
	maxErrorDepth                               int
	maxFrames                                   int
	tags                                        map[string]string
	transport                                   Transport
	logger                                      *slog.Logger
	queueSize, queueBytes, senders              int
	limits                                      [telemetry.NumKinds]telemetry.Limit // of other kinds (WithQueueLimit)
	limitErr                                    error
	blockTimeout                                time.Duration
	onDrop                                      func(Drop)
	httpOpts                                    []TransportOption
	scrubKeys                                   []string
	scrubPatternSrc                             []string
	noDefaultScrubPatterns                      bool
	scrub                                       scrub.Scrubber // from the three above (scrub.go)
	spotlight                                   string
	spotlightSet                                bool
	fpLimit                                     rate.Limit
	fpBurst                                     int
	ext                                         extConfig // outbox and crash reporting (outbox.go, crash.go)
	debugIgnoreEnv                              bool
}

func defaultConfig() config {
	c := config{
		sampleRate:     DefaultSampleRate,
		maxBreadcrumbs: DefaultMaxBreadcrumbs,
		contextLines:   DefaultContextLines,
		maxErrorDepth:  DefaultMaxErrorDepth,
		maxFrames:      DefaultMaxFrames,
		queueSize:      DefaultQueueSize,
		queueBytes:     DefaultQueueBytes,
		senders:        DefaultSenders,
	}
	for k, s := range telemetry.Specs {
		c.limits[k] = s.Limit
	}
	return c
}

func (c *config) resolve(opts []Option) error {
	for _, o := range opts {
		if o != nil {
			o.apply(c)
		}
	}
	if !c.debugIgnoreEnv {
		if !c.dsnSet {
			c.dsn = os.Getenv(EnvDSN)
		}
		if !c.releaseSet {
			c.release = os.Getenv(EnvRelease)
		}
		if !c.environmentSet {
			c.environment = os.Getenv(EnvEnvironment)
		}
		if !c.spotlightSet {
			c.spotlight = spotlightURL(os.Getenv(EnvSpotlight))
		}
	}
	if c.release == "" {
		c.release = builder.VCSRevision()
	}
	if c.sampleRate < 0 || c.sampleRate > 1 || c.sampleRate != c.sampleRate {
		return fmt.Errorf("raven: sample rate %v is not in [0, 1]", c.sampleRate)
	}
	for _, src := range c.ignoreErrorsSrc {
		re, err := regexp.Compile(src)
		if err != nil {
			return fmt.Errorf("raven: IgnoreErrors pattern %q: %w", src, err)
		}
		c.ignoreErrors = append(c.ignoreErrors, re)
	}
	if err := c.resolveScrub(); err != nil {
		return err
	}
	if c.queueSize <= 0 || c.queueBytes <= 0 || c.senders <= 0 {
		return fmt.Errorf("raven: queue size, queue bytes and senders must be positive")
	}
	if c.limitErr != nil {
		return c.limitErr
	}
	c.limits[telemetry.Error] = QueueLimit{Items: c.queueSize, Bytes: c.queueBytes}
	for k, l := range c.limits {
		if l.Items <= 0 || l.Bytes <= 0 {
			return fmt.Errorf("raven: the %s queue's bounds must be positive", telemetry.Specs[k].Category)
		}
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// WithDSN sets the DSN; it wins over SENTRY_DSN. The empty DSN gives a
// disabled client.
func WithDSN(dsn string) Option {
	return optionFunc(func(c *config) { c.dsn, c.dsnSet = dsn, true })
}

// WithRelease sets the release; it wins over SENTRY_RELEASE. Unset, the
// VCS revision recorded in the binary is used.
func WithRelease(release string) Option {
	return optionFunc(func(c *config) { c.release, c.releaseSet = release, true })
}

// WithEnvironment sets the environment; it wins over SENTRY_ENVIRONMENT.
func WithEnvironment(env string) Option {
	return optionFunc(func(c *config) { c.environment, c.environmentSet = env, true })
}

// WithDist sets the distribution of the release.
func WithDist(dist string) Option { return optionFunc(func(c *config) { c.dist = dist }) }

// WithServerName sets the server name; unset, the host name is used.
func WithServerName(name string) Option {
	return optionFunc(func(c *config) { c.serverName = name })
}

// WithSampleRate sets the fraction of error events sent, in [0, 1]. Zero
// sends nothing. Default DefaultSampleRate.
func WithSampleRate(rate float64) Option {
	return optionFunc(func(c *config) { c.sampleRate = rate })
}

// WithIgnoreErrors drops events whose exception values or message match
// any of the regular expressions. An invalid expression is an error from
// New.
func WithIgnoreErrors(patterns ...string) Option {
	return optionFunc(func(c *config) { c.ignoreErrorsSrc = append(c.ignoreErrorsSrc, patterns...) })
}

// WithBeforeSend sets a hook that sees every event before it is sent, with
// a hint holding the captured error (for errors.Is and errors.As), the
// recovered panic value and the request, and may change the event or
// return nil to drop it (before_send). It runs on a sender goroutine,
// after the event processors; a panic in it is recovered and the event
// dropped and counted.
func WithBeforeSend(f func(*Event, *EventHint) *Event) Option {
	return optionFunc(func(c *config) { c.beforeSend = f })
}

// WithIgnoreErrorsIs drops events whose error is any of targets, as
// errors.Is tells through the whole chain (counted as event_processor):
// WithIgnoreErrorsIs(context.Canceled) is the usual one. The walk is
// bounded like the capture's, so a hostile error graph cannot hang it.
func WithIgnoreErrorsIs(targets ...error) Option {
	return optionFunc(func(c *config) { c.ignoreIs = append(c.ignoreIs, targets...) })
}

// EventHint is what BeforeSend and scope event processors get besides the
// event: Err, the captured error; Panic, the recovered value; Request, the
// *http.Request being handled when an integration recorded it; Context,
// the context the capture was made with (context.Background() for the
// forms that take none).
type EventHint = scope.Hint

// WithEventProcessor adds a function that sees every event before
// BeforeSend and may change it or return nil to drop it (counted as
// event_processor).
func WithEventProcessor(f func(*Event) *Event) Option {
	return optionFunc(func(c *config) { c.processors = append(c.processors, f) })
}

// WithBeforeBreadcrumb sets a hook that sees every breadcrumb before it is
// recorded and may change it or return nil to drop it. It runs on the
// caller's goroutine.
func WithBeforeBreadcrumb(f func(*Breadcrumb) *Breadcrumb) Option {
	return optionFunc(func(c *config) { c.beforeBreadcrumb = f })
}

// WithMaxBreadcrumbs sets how many breadcrumbs a scope keeps; 0 keeps
// none. Default DefaultMaxBreadcrumbs.
func WithMaxBreadcrumbs(n int) Option {
	return optionFunc(func(c *config) { c.maxBreadcrumbs = max(n, 0) })
}

// WithAttachStacktrace attaches the capture site's stack to messages.
func WithAttachStacktrace(on bool) Option {
	return optionFunc(func(c *config) { c.attachStacktrace = on })
}

// WithInAppInclude marks frames of the given import path prefixes as the
// application's own, in addition to the main module. An include wins over
// WithInAppExclude: a package both match is in-app, so a broad exclude can
// carve out a part of the main module and an include bring back a package
// inside it (see ExampleWithInAppInclude).
func WithInAppInclude(prefixes ...string) Option {
	return optionFunc(func(c *config) { c.inAppInclude = append(c.inAppInclude, prefixes...) })
}

// WithInAppExclude marks frames of the given import path prefixes as not
// the application's own, even inside the main module, unless a prefix of
// WithInAppInclude matches them too.
func WithInAppExclude(prefixes ...string) Option {
	return optionFunc(func(c *config) { c.inAppExclude = append(c.inAppExclude, prefixes...) })
}

// WithContextLines sets how many source lines surround each in-app frame's
// line; 0 attaches none. Default DefaultContextLines.
func WithContextLines(n int) Option {
	return optionFunc(func(c *config) { c.contextLines = max(n, 0) })
}

// WithMaxErrorDepth bounds the links of an error chain reported. Default
// DefaultMaxErrorDepth.
func WithMaxErrorDepth(n int) Option {
	return optionFunc(func(c *config) {
		if n > 0 {
			c.maxErrorDepth = n
		}
	})
}

// WithMaxFrames bounds the frames of one stack trace (default
// DefaultMaxFrames); deeper stacks keep both ends. The size budget still
// trims events over MaxEventBytes.
func WithMaxFrames(n int) Option {
	return optionFunc(func(c *config) {
		if n > 0 {
			c.maxFrames = n
		}
	})
}

// WithTags sets tags added to every event (scope tags win).
func WithTags(tags map[string]string) Option {
	return optionFunc(func(c *config) {
		if c.tags == nil {
			c.tags = make(map[string]string, len(tags))
		}
		for k, v := range tags {
			c.tags[k] = v
		}
	})
}

// WithTransport sets the transport; default an HTTPTransport for the DSN.
func WithTransport(t Transport) Option {
	return optionFunc(func(c *config) { c.transport = t })
}

// WithLogger sets the logger for the SDK's own diagnostics; default none.
func WithLogger(l *slog.Logger) Option { return optionFunc(func(c *config) { c.logger = l }) }

// WithQueue bounds the events waiting for delivery, by count and by
// estimated bytes. Defaults DefaultQueueSize and DefaultQueueBytes.
func WithQueue(events, bytes int) Option {
	return optionFunc(func(c *config) { c.queueSize, c.queueBytes = events, bytes })
}

// WithSenders sets how many events are processed and sent at once, at
// most. Two sender goroutines (or n, if fewer) start with the first capture
// and stay, asleep while there is nothing to send; when more events wait
// than there are idle senders, more start, up to n, and each exits as soon
// as it finds the queue empty. A backlog is thus sent n requests at a time
// while a quiet client keeps two sleeping goroutines. The protocol carries
// one event per request, so against a far server (a round trip of 100 ms
// and more) a burst drains at about n events per round trip: raise n (16,
// 32) where bursts must drain quickly and the server can take the
// concurrency. WithSenders fixes the concurrency at n; without it the
// concurrency adapts between DefaultSenders and DefaultMaxSenders (see
// DefaultSenders).
func WithSenders(n int) Option {
	return optionFunc(func(c *config) { c.senders, c.sendersSet = n, true })
}

// WithBlockingQueue makes capture wait up to d for room when the queue is
// full, instead of dropping at once. Capture never waits longer than d.
func WithBlockingQueue(d time.Duration) Option {
	return optionFunc(func(c *config) { c.blockTimeout = d })
}

// WithOnDrop sets a hook told of every discarded event. It may be called
// from any goroutine, must not block, and a panic in it is recovered.
func WithOnDrop(f func(Drop)) Option { return optionFunc(func(c *config) { c.onDrop = f }) }

// withoutEnv ignores the SENTRY_* environment (tests).
func withoutEnv() Option { return optionFunc(func(c *config) { c.debugIgnoreEnv = true }) }

// DefaultMaxFrames bounds the frames of one stack trace (WithMaxFrames).
// Deeper stacks keep their innermost and outermost halves; the middle is
// dropped.
const DefaultMaxFrames = stack.DefaultMaxFrames

// DefaultMaxErrorDepth bounds how many links of an error chain (or tree,
// for errors.Join) become exceptions (WithMaxErrorDepth). Cycles and
// longer chains stop there.
const DefaultMaxErrorDepth = errchain.DefaultMaxDepth

// Bounds of the walk over user values (see Scope.SetExtra and friends).
const (
	// MaxValueDepth is how many levels of maps, slices, arrays and structs
	// a user value keeps below the field it is set in (an extra, a
	// context member, a breadcrumb's data member, ...); deeper containers
	// are replaced by the string "[depth limit]".
	MaxValueDepth = uservalue.MaxDepth
	// MaxValueBreadth is how many members of one map or struct, or
	// elements of one slice or array, are kept; the rest are replaced by
	// one member (key "[truncated]") or element saying how many were left
	// out.
	MaxValueBreadth = uservalue.MaxBreadth
	// MaxValueNodes bounds how many values one walk writes (one event's
	// extra, one context, one breadcrumb's data, ...); values past the
	// bound are replaced by the string "[size limit]".
	MaxValueNodes = uservalue.MaxNodes
	// MaxMarshaledBytes bounds the output of a value's MarshalJSON method
	// that is kept; a larger output is replaced by a placeholder.
	MaxMarshaledBytes = uservalue.MaxMarshaledBytes
)
