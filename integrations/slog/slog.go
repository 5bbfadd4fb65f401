// Package ravenslog turns log records into breadcrumbs and events: a
// slog.Handler that wraps another one.
//
//	logger := slog.New(ravenslog.NewHandler(slog.NewJSONHandler(os.Stderr, nil)))
//	logger.InfoContext(ctx, "cache miss", "item", k)          // a breadcrumb on ctx's scope
//	logger.ErrorContext(ctx, "charge failed", "err", err)     // an event with err's chain
//
// Records are always passed to the wrapped handler as they would be
// without raven.
package ravenslog

import (
	"context"
	"log/slog"
	"slices"

	"github.com/ravenkit/raven"
)

// Defaults of the handler.
const (
	DefaultBreadcrumbLevel = slog.LevelInfo
	DefaultEventLevel      = slog.LevelError
)

// Option configures a Handler.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	client          *raven.Client
	breadcrumbLevel slog.Level
	eventLevel      slog.Level
	tagKeys         []string
}

// WithClient reports to c instead of the client of the scope on the
// logging context (or the default client).
func WithClient(c *raven.Client) Option { return optionFunc(func(o *config) { o.client = c }) }

// WithBreadcrumbLevel sets the lowest level recorded as a breadcrumb
// (default DefaultBreadcrumbLevel).
func WithBreadcrumbLevel(l slog.Level) Option {
	return optionFunc(func(o *config) { o.breadcrumbLevel = l })
}

// WithEventLevel sets the lowest level reported as an event (default
// DefaultEventLevel).
func WithEventLevel(l slog.Level) Option { return optionFunc(func(o *config) { o.eventLevel = l }) }

// WithTagKeys makes the attributes with these keys (after group prefixes,
// e.g. "req.method") tags of events; other attributes become extra.
func WithTagKeys(keys ...string) Option {
	return optionFunc(func(o *config) { o.tagKeys = append(o.tagKeys, keys...) })
}

// Handler is a slog.Handler that records breadcrumbs and reports events,
// then passes every record on to the handler it wraps.
type Handler struct {
	next   slog.Handler
	cfg    *config
	attrs  []slog.Attr // accumulated by WithAttrs, keys already prefixed
	prefix string      // current group prefix, "a.b."
}

// NewHandler wraps next.
func NewHandler(next slog.Handler, opts ...Option) *Handler {
	cfg := &config{breadcrumbLevel: DefaultBreadcrumbLevel, eventLevel: DefaultEventLevel}
	for _, o := range opts {
		if o != nil {
			o.apply(cfg)
		}
	}
	return &Handler{next: next, cfg: cfg}
}

// Enabled reports whether the wrapped handler or raven wants the level.
func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= min(h.cfg.breadcrumbLevel, h.cfg.eventLevel) || h.next.Enabled(ctx, l)
}

// WithAttrs returns a handler whose records carry attrs.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	cp := *h
	cp.next = h.next.WithAttrs(attrs)
	cp.attrs = slices.Clip(h.attrs)
	for _, a := range attrs {
		cp.attrs = appendFlat(cp.attrs, h.prefix, a)
	}
	return &cp
}

// WithGroup returns a handler that nests later attributes under name.
func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	cp := *h
	cp.next = h.next.WithGroup(name)
	cp.prefix = h.prefix + name + "."
	return &cp
}

// Handle records the breadcrumb or event, then passes r on.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if r.Level >= h.cfg.breadcrumbLevel || r.Level >= h.cfg.eventLevel {
		h.report(ctx, r)
	}
	if h.next.Enabled(ctx, r.Level) {
		return h.next.Handle(ctx, r)
	}
	return nil
}

func (h *Handler) report(ctx context.Context, r slog.Record) {
	attrs := slices.Clip(h.attrs)
	r.Attrs(func(a slog.Attr) bool {
		attrs = appendFlat(attrs, h.prefix, a)
		return true
	})
	scope := h.scope(ctx)
	if r.Level < h.cfg.eventLevel {
		data := make(map[string]any, len(attrs))
		for _, a := range attrs {
			data[a.Key] = value(a.Value)
		}
		scope.AddBreadcrumb(raven.Breadcrumb{Type: "default", Category: "log", Message: r.Message,
			Level: level(r.Level), Timestamp: r.Time, Data: data})
		return
	}
	// an event: a child scope carries this record's attributes only
	client := scope.Client()
	ectx := client.WithScope(raven.ContextWithScope(ctx, scope))
	es := raven.ScopeFromContext(ectx)
	es.SetLevel(level(r.Level))
	var err error
	for _, a := range attrs {
		v := a.Value.Resolve()
		if e, ok := v.Any().(error); ok && v.Kind() == slog.KindAny && err == nil {
			err = e
			continue
		}
		if slices.Contains(h.cfg.tagKeys, a.Key) {
			es.SetTag(a.Key, v.String())
		} else {
			es.SetExtra(a.Key, value(v))
		}
	}
	if err != nil {
		es.SetExtra("log.message", r.Message)
		client.CaptureExceptionContext(ectx, err)
		return
	}
	client.CaptureMessageContext(ectx, r.Message)
}

// scope picks the scope of the logging context, or the configured
// client's root scope when the context belongs to another client.
func (h *Handler) scope(ctx context.Context) *raven.Scope {
	s := raven.ScopeFromContext(ctx)
	if h.cfg.client != nil && s.Client() != h.cfg.client {
		return h.cfg.client.Scope()
	}
	return s
}

// appendFlat appends a with its key prefixed, flattening groups.
func appendFlat(dst []slog.Attr, prefix string, a slog.Attr) []slog.Attr {
	v := a.Value.Resolve()
	if v.Kind() == slog.KindGroup {
		p := prefix
		if a.Key != "" {
			p += a.Key + "."
		}
		for _, g := range v.Group() {
			dst = appendFlat(dst, p, g)
		}
		return dst
	}
	if a.Key == "" && v.Any() == nil {
		return dst
	}
	return append(dst, slog.Attr{Key: prefix + a.Key, Value: v})
}

func value(v slog.Value) any {
	v = v.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return v.String()
	case slog.KindInt64:
		return v.Int64()
	case slog.KindUint64:
		return v.Uint64()
	case slog.KindFloat64:
		return v.Float64()
	case slog.KindBool:
		return v.Bool()
	case slog.KindDuration:
		return v.Duration().String()
	case slog.KindTime:
		return v.Time().Format("2006-01-02T15:04:05.000Z07:00")
	}
	if e, ok := v.Any().(error); ok {
		return e.Error()
	}
	return v.String()
}

func level(l slog.Level) raven.Level {
	switch {
	case l >= slog.LevelError:
		return raven.LevelError
	case l >= slog.LevelWarn:
		return raven.LevelWarning
	case l >= slog.LevelInfo:
		return raven.LevelInfo
	}
	return raven.LevelDebug
}
