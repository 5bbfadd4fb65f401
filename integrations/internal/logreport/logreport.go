// Package logreport is what the logger integrations (ravenlogrus, ravenzap,
// ravenzerolog) share: their common options, the scope a record belongs
// to, and reporting a record as an event whose fields ride on a child
// scope.
//
// It sits above package raven (integrations import it, raven does not), so
// it uses raven's API; under integrations/, its frames count as the SDK's
// in stack traces, as the integrations' own do.
package logreport

import (
	"context"
	"slices"
	"time"

	"github.com/ravenkit/raven"
)

// DefaultFlushTimeout bounds how long a record at fatal or panic level,
// or a logger's Sync or Close, waits for events to be delivered.
const DefaultFlushTimeout = 2 * time.Second

// MessageExtra is the extra that keeps a record's message when its error
// is the event's exception.
const MessageExtra = "log.message"

// Config is what every logger integration is configured with besides its
// levels.
type Config struct {
	// Client receives the records; nil: the client of the scope on the
	// record's context (or the default client).
	Client *raven.Client
	// TagKeys are the fields that become tags of events; other fields
	// become extra.
	TagKeys []string
	// FlushTimeout bounds the wait for delivery of fatal records; <= 0
	// does not wait.
	FlushTimeout time.Duration
}

// New returns a Config with the default flush timeout.
func New() Config { return Config{FlushTimeout: DefaultFlushTimeout} }

// Options is a logger integration's configuration: Config and the two
// levels that sort its records, in the logger's level type L.
type Options[L any] struct {
	Config
	// BreadcrumbLevel is the lowest level recorded as a breadcrumb.
	BreadcrumbLevel L
	// EventLevel is the lowest level reported as an event.
	EventLevel L
}

// NewOptions returns Options with the default flush timeout and the
// levels given, changed by opts.
func NewOptions[L any](breadcrumb, event L, opts []Option[L]) Options[L] {
	o := Options[L]{Config: New(), BreadcrumbLevel: breadcrumb, EventLevel: event}
	for _, opt := range opts {
		opt.apply(&o)
	}
	return o
}

// Option changes Options; each logger integration exports it, for its
// level type, as its own Option.
type Option[L any] interface{ apply(*Options[L]) }

type optionFunc[L any] func(*Options[L])

func (f optionFunc[L]) apply(o *Options[L]) { f(o) }

// WithClient sets Client.
func WithClient[L any](c *raven.Client) Option[L] {
	return optionFunc[L](func(o *Options[L]) { o.Client = c })
}

// WithBreadcrumbLevel sets BreadcrumbLevel.
func WithBreadcrumbLevel[L any](l L) Option[L] {
	return optionFunc[L](func(o *Options[L]) { o.BreadcrumbLevel = l })
}

// WithEventLevel sets EventLevel.
func WithEventLevel[L any](l L) Option[L] {
	return optionFunc[L](func(o *Options[L]) { o.EventLevel = l })
}

// WithTagKeys adds keys to TagKeys.
func WithTagKeys[L any](keys []string) Option[L] {
	return optionFunc[L](func(o *Options[L]) { o.TagKeys = append(o.TagKeys, keys...) })
}

// WithFlushTimeout sets FlushTimeout.
func WithFlushTimeout[L any](d time.Duration) Option[L] {
	return optionFunc[L](func(o *Options[L]) { o.FlushTimeout = d })
}

// Scope returns the scope of ctx, or the configured client's root scope
// when ctx belongs to another client.
func (c *Config) Scope(ctx context.Context) *raven.Scope {
	s := raven.ScopeFromContext(ctx)
	if c.Client != nil && s.Client() != c.Client {
		return c.Client.Scope()
	}
	return s
}

// Flush waits up to FlushTimeout for the events of client (nil: the
// configured client, or the default one) to be delivered.
func (c *Config) Flush(client *raven.Client) {
	if client == nil {
		client = c.Client
	}
	if client == nil {
		client = raven.CurrentClient()
	}
	if c.FlushTimeout <= 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.FlushTimeout)
	_ = client.Flush(ctx)
	cancel()
}

// Breadcrumb records a record below the event level on scope.
func Breadcrumb(scope *raven.Scope, level raven.Level, msg string, ts time.Time, data map[string]any) {
	scope.AddBreadcrumb(raven.Breadcrumb{Type: "default", Category: "log", Message: msg,
		Level: level, Timestamp: ts, Data: data})
}

// Event is one record being reported as an event: a child of the
// record's scope that carries the record's fields only.
type Event struct {
	c     *Config
	ctx   context.Context // carries scope
	scope *raven.Scope
}

// Event starts reporting a record at level as an event on a child of
// scope, which must be Scope(ctx). Set its fields with Field, then Send.
func (c *Config) Event(ctx context.Context, scope *raven.Scope, level raven.Level) Event {
	// ctx's scope is scope, or scope is the root of a client ctx does not
	// belong to: either way the client forks scope.
	ectx := scope.Client().WithScope(ctx)
	es := raven.ScopeFromContext(ectx)
	es.SetLevel(level)
	return Event{c: c, ctx: ectx, scope: es}
}

// Field sets a field of the record: a tag, with the text tag gives its
// value, for the keys of TagKeys, else an extra.
func (e Event) Field(key string, value any, tag func(any) string) {
	if slices.Contains(e.c.TagKeys, key) {
		e.scope.SetTag(key, tag(value))
	} else {
		e.scope.SetExtra(key, value)
	}
}

// Send captures the event: err, when not nil, becomes the exception and
// msg the extra MessageExtra, else msg is the event's title. With fatal it
// then waits, up to FlushTimeout, for delivery.
func (e Event) Send(msg string, err error, fatal bool) {
	client := e.scope.Client()
	if err != nil {
		e.scope.SetExtra(MessageExtra, msg)
		client.CaptureExceptionContext(e.ctx, err)
	} else {
		client.CaptureMessageContext(e.ctx, msg)
	}
	if fatal {
		e.c.Flush(client)
	}
}
