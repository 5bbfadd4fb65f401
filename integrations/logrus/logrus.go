// Package ravenlogrus turns logrus entries into breadcrumbs and events: a
// logrus.Hook.
//
//	logger := logrus.New()
//	logger.AddHook(ravenlogrus.NewHook())
//	log := logger.WithContext(ctx)                        // ctx carries a raven scope
//	log.WithField("item", k).Info("cache miss")            // a breadcrumb on ctx's scope
//	log.WithError(err).Error("charge failed")              // an event with err's chain
//
// # What is reported
//
// Entries at or above the event level (WithEventLevel, default error) are
// reported as events. The error under logrus.ErrorKey (what
// Entry.WithError sets) becomes the exception, with its whole chain and
// its stack (the error's own, or else the logging call's), and the message
// is kept in the extra "log.message"; an entry without an error is
// reported as a message event whose title is the entry's message. Entries
// at or above the breadcrumb level (WithBreadcrumbLevel, default info) and
// below the event level become breadcrumbs. Lower entries are not seen:
// the hook is registered only for the levels it reports (Levels).
//
// Fields become the event's extra, or tags for the keys listed with
// WithTagKeys, and a breadcrumb's data; the SDK scrubs them as any extra.
// Strings, numbers and booleans are kept as they are, times and durations
// as text, and any other value (errors other than the one under
// logrus.ErrorKey included) as its fmt.Sprint text, taken when the entry
// is logged so that nothing of the caller's memory is read later.
//
// # Scopes
//
// The scope is the one the entry's context carries (Logger.WithContext,
// Entry.WithContext), for example the per-request scope ravenhttp puts on
// r.Context(); an entry without a context, or whose context carries no
// scope, goes to the root scope of the client (WithClient, default the
// client current when the entry is logged). Event fields are set on a
// child scope of that scope, so they never stick to it.
//
// # Cost and safety
//
// The hook runs on the logging goroutine and does what raven's capture
// path does, nothing more: a breadcrumb is appended to a scope, an event
// is handed to the client's queue. The hook itself never logs. Do not give
// the client a diagnostics logger (raven.WithLogger) that writes through a
// logrus logger carrying this hook: a failure to report would then be
// reported again.
//
// Entries at fatal and panic levels wait, up to DefaultFlushTimeout,
// for the event to be delivered before logrus exits or panics.
package ravenlogrus

import (
	"context"
	"fmt"
	"time"

	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/integrations/internal/logreport"
	"github.com/sirupsen/logrus"
)

// Defaults of the hook.
const (
	// DefaultBreadcrumbLevel is the lowest level recorded as a breadcrumb.
	DefaultBreadcrumbLevel = logrus.InfoLevel
	// DefaultEventLevel is the lowest level reported as an event.
	DefaultEventLevel = logrus.ErrorLevel
	// DefaultFlushTimeout bounds how long an entry at fatal or panic
	// level waits for its event to be delivered.
	DefaultFlushTimeout = logreport.DefaultFlushTimeout
)

// Option configures a Hook.
type Option = logreport.Option[logrus.Level]

type options = logreport.Options[logrus.Level]

// WithClient reports to c instead of the client of the scope on the
// entry's context (or the default client).
func WithClient(c *raven.Client) Option { return logreport.WithClient[logrus.Level](c) }

// WithBreadcrumbLevel sets the lowest level recorded as a breadcrumb
// (default DefaultBreadcrumbLevel). A level at or above the event level
// records no breadcrumbs.
func WithBreadcrumbLevel(l logrus.Level) Option { return logreport.WithBreadcrumbLevel(l) }

// WithEventLevel sets the lowest level reported as an event (default
// DefaultEventLevel).
func WithEventLevel(l logrus.Level) Option { return logreport.WithEventLevel(l) }

// WithTagKeys makes the fields with these keys tags of events; other
// fields become extra.
func WithTagKeys(keys ...string) Option { return logreport.WithTagKeys[logrus.Level](keys) }

// WithFlushTimeout sets how long an entry at fatal or panic level
// waits for its event to be delivered (default DefaultFlushTimeout);
// d <= 0 does not wait.
func WithFlushTimeout(d time.Duration) Option { return logreport.WithFlushTimeout[logrus.Level](d) }

// Hook is a logrus.Hook that records breadcrumbs and reports events. It is
// safe for concurrent use and may be added to several loggers.
type Hook struct {
	o      options
	levels []logrus.Level
}

var _ logrus.Hook = (*Hook)(nil)

// NewHook returns a hook configured by opts; add it with Logger.AddHook.
func NewHook(opts ...Option) *Hook {
	h := &Hook{o: logreport.NewOptions(DefaultBreadcrumbLevel, DefaultEventLevel, opts)}
	// logrus levels count down: PanicLevel (0) is the most severe
	lowest := max(h.o.BreadcrumbLevel, h.o.EventLevel)
	for _, l := range logrus.AllLevels {
		if l <= lowest {
			h.levels = append(h.levels, l)
		}
	}
	return h
}

// Levels returns the levels the hook reports: from the breadcrumb level
// (or the event level, when that is lower) up to panic.
func (h *Hook) Levels() []logrus.Level { return h.levels }

// Fire records the entry as a breadcrumb or reports it as an event. It
// never returns an error: a failure to report must not fail the log.
func (h *Hook) Fire(e *logrus.Entry) error {
	if e == nil {
		return nil
	}
	ctx := e.Context
	if ctx == nil {
		ctx = context.Background()
	}
	scope := h.o.Scope(ctx)
	if e.Level > h.o.EventLevel { // less severe than the event level
		if e.Level > h.o.BreadcrumbLevel {
			return nil
		}
		var data map[string]any
		if len(e.Data) > 0 {
			data = make(map[string]any, len(e.Data))
			for k, v := range e.Data {
				data[k] = value(v)
			}
		}
		logreport.Breadcrumb(scope, level(e.Level), e.Message, e.Time, data)
		return nil
	}
	// an event: the error under logrus.ErrorKey is the exception, the
	// other fields ride on a child scope
	err, _ := e.Data[logrus.ErrorKey].(error)
	ev := h.o.Event(ctx, scope, level(e.Level))
	for k, v := range e.Data {
		if k != logrus.ErrorKey || err == nil {
			ev.Field(k, value(v), tagValue)
		}
	}
	ev.Send(e.Message, err, e.Level <= logrus.FatalLevel)
	return nil
}

// value turns a field value into one the event can hold: scalars as they
// are, anything else as text taken now.
func value(v any) any {
	switch x := v.(type) {
	case nil, string, bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
		return x
	case time.Time:
		return x.Format("2006-01-02T15:04:05.000Z07:00")
	case time.Duration:
		return x.String()
	}
	return fmt.Sprint(v) // errors and Stringers too, with fmt's panic guard
}

// tagValue is a field's value (as value gives it) as a tag's text.
func tagValue(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return fmt.Sprint(v)
}

func level(l logrus.Level) raven.Level {
	switch {
	case l <= logrus.FatalLevel:
		return raven.LevelFatal
	case l == logrus.ErrorLevel:
		return raven.LevelError
	case l == logrus.WarnLevel:
		return raven.LevelWarning
	case l == logrus.InfoLevel:
		return raven.LevelInfo
	}
	return raven.LevelDebug
}
