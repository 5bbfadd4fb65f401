// Package ravenzap turns zap log entries into breadcrumbs and events: a
// zapcore.Core to combine with the cores that write the log.
//
//	core := zapcore.NewTee(jsonCore, ravenzap.NewCore())
//	logger := zap.New(core)
//	logger.Info("cache miss", ravenzap.Context(ctx), zap.String("item", k)) // a breadcrumb on ctx's scope
//	logger.Error("charge failed", ravenzap.Context(ctx), zap.Error(err))    // an event with err's chain
//
// # What is reported
//
// Entries at or above the event level (WithEventLevel, default error) are
// reported as events. The error of zap.Error (the field with key "error";
// else the first error field, zap.NamedError) becomes the exception, with
// its whole chain and its stack (the error's own, or else the logging
// call's), and the message is kept in the extra "log.message"; an entry
// without an error is reported as a message event whose title is the
// entry's message. Entries at or above the breadcrumb level
// (WithBreadcrumbLevel, default info) and below the event level become
// breadcrumbs. The core is not enabled for lower levels, so zap does not
// even hand them to it.
//
// Fields, those of Logger.With included, become the event's extra, or tags
// for the keys listed with WithTagKeys, and a breadcrumb's data; the SDK
// scrubs them as any extra. Keys after zap.Namespace are prefixed with the
// namespace and a dot ("req.method"). Strings, numbers and booleans are
// kept as they are; objects and arrays (zapcore.ObjectMarshaler,
// ArrayMarshaler) as maps and lists; times, durations, errors, Stringers
// and any other value as text. Values are read when the entry is logged
// (for Logger.With, when With is called), never later.
//
// # Scopes
//
// zap entries carry no context.Context: pass one with the Context field,
// on each entry or once with Logger.With for a request's logger. The core
// records on the scope that context carries, for example the per-request
// scope ravenhttp puts on r.Context(); without one, on the root scope of
// the client (WithClient, default the client current when the entry is
// logged). Other cores ignore the Context field: it is a zapcore.SkipType
// field, which encoders do not write. Event fields are set on a child
// scope, so they never stick to the context's scope.
//
// # Cost and safety
//
// Entries below the breadcrumb level cost one level comparison. Others
// cost what raven's capture path does, on the logging goroutine: a
// breadcrumb is appended to a scope, an event is handed to the client's
// queue. The core never logs. Do not give the client a diagnostics logger
// (raven.WithLogger) that writes through a zap logger holding this core: a
// failure to report would then be reported again.
//
// Entries above error level (DPanic, Panic, Fatal) and Sync wait, up to
// DefaultFlushTimeout, for events to be delivered, as zap's own cores sync
// their output then.
package ravenzap

import (
	"context"
	"encoding/base64"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/integrations/internal/logreport"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Defaults of the core.
const (
	// DefaultBreadcrumbLevel is the lowest level recorded as a breadcrumb.
	DefaultBreadcrumbLevel = zapcore.InfoLevel
	// DefaultEventLevel is the lowest level reported as an event.
	DefaultEventLevel = zapcore.ErrorLevel
	// DefaultFlushTimeout bounds how long Sync, and an entry above error
	// level, wait for events to be delivered.
	DefaultFlushTimeout = logreport.DefaultFlushTimeout
)

// contextKey is the key of the Context field; the field is recognised by
// its type and value, not by its key.
const contextKey = "context"

// Context returns a field carrying ctx, whose scope the core records on.
// Other cores do not write it. Pass it with each entry or once with
// Logger.With.
func Context(ctx context.Context) zap.Field {
	return zap.Field{Key: contextKey, Type: zapcore.SkipType, Interface: ctx}
}

// Option configures the core.
type Option = logreport.Option[zapcore.Level]

type options = logreport.Options[zapcore.Level]

// WithClient reports to c instead of the client of the scope on the
// entry's context (or the default client).
func WithClient(c *raven.Client) Option { return logreport.WithClient[zapcore.Level](c) }

// WithBreadcrumbLevel sets the lowest level recorded as a breadcrumb
// (default DefaultBreadcrumbLevel). A level at or above the event level
// records no breadcrumbs.
func WithBreadcrumbLevel(l zapcore.Level) Option { return logreport.WithBreadcrumbLevel(l) }

// WithEventLevel sets the lowest level reported as an event (default
// DefaultEventLevel); zapcore.InvalidLevel reports none.
func WithEventLevel(l zapcore.Level) Option { return logreport.WithEventLevel(l) }

// WithTagKeys makes the fields with these keys (after namespace prefixes,
// e.g. "req.method") tags of events; other fields become extra.
func WithTagKeys(keys ...string) Option { return logreport.WithTagKeys[zapcore.Level](keys) }

// WithFlushTimeout sets how long Sync, and an entry above error level,
// wait for events to be delivered (default DefaultFlushTimeout); d <= 0
// does not wait.
func WithFlushTimeout(d time.Duration) Option { return logreport.WithFlushTimeout[zapcore.Level](d) }

// field is a field read when it was logged: its key with the namespace
// prefix, and a value the event can hold (err for error fields).
type field struct {
	key string
	val any
	err error
}

// value is the field's value; an error's is its text.
func (f *field) value() any {
	if f.err != nil {
		return fmt.Sprint(f.err)
	}
	return f.val
}

type core struct {
	o      *options
	min    zapcore.Level
	ctx    context.Context // from With(Context(ctx))
	fields []field         // from With
	prefix string          // namespace of later fields, "a.b."
}

// NewCore returns a core that records breadcrumbs and reports events.
// Combine it with the cores that write the log with zapcore.NewTee, or
// add it to a logger with zap.WrapCore.
func NewCore(opts ...Option) zapcore.Core {
	o := new(options)
	*o = logreport.NewOptions(DefaultBreadcrumbLevel, DefaultEventLevel, opts)
	return &core{o: o, min: min(o.BreadcrumbLevel, o.EventLevel)}
}

// Enabled reports whether entries at l are recorded or reported.
func (c *core) Enabled(l zapcore.Level) bool { return l >= c.min }

// Level returns the lowest level recorded (see zapcore.LevelOf).
func (c *core) Level() zapcore.Level { return c.min }

// With returns a core whose entries carry fields; a Context field binds
// the core to that context's scope.
func (c *core) With(fs []zapcore.Field) zapcore.Core {
	if len(fs) == 0 {
		return c
	}
	cp := *c
	cp.fields = slices.Clip(c.fields)
	cp.ctx, cp.fields, cp.prefix = appendFields(cp.ctx, cp.fields, cp.prefix, fs)
	return &cp
}

// Check adds the core to ce when the entry's level is enabled.
func (c *core) Check(ent zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if ent.Level >= c.min {
		return ce.AddCore(ent, c)
	}
	return ce
}

// Write records the entry as a breadcrumb or reports it as an event. It
// never returns an error: a failure to report must not fail the log.
func (c *core) Write(ent zapcore.Entry, fs []zapcore.Field) error {
	if ent.Level < c.min {
		return nil
	}
	var buf [8]field
	ctx, fields, _ := appendFields(c.ctx, append(buf[:0], c.fields...), c.prefix, fs)
	if ctx == nil {
		ctx = context.Background()
	}
	scope := c.o.Scope(ctx)
	if ent.Level < c.o.EventLevel {
		var data map[string]any
		if len(fields) > 0 {
			data = make(map[string]any, len(fields))
			for i := range fields {
				data[fields[i].key] = fields[i].value()
			}
		}
		logreport.Breadcrumb(scope, level(ent.Level), ent.Message, ent.Time, data)
		return nil
	}
	// an event: the first error field (the one named "error" before
	// others) is the exception, the other fields ride on a child scope
	errAt := -1
	for i, f := range fields {
		if f.err != nil && (errAt < 0 || f.key == "error" && fields[errAt].key != "error") {
			errAt = i
		}
	}
	var err error
	if errAt >= 0 {
		err = fields[errAt].err
	}
	ev := c.o.Event(ctx, scope, level(ent.Level))
	for i := range fields {
		if i != errAt {
			ev.Field(fields[i].key, fields[i].value(), tagValue)
		}
	}
	ev.Send(ent.Message, err, ent.Level > zapcore.ErrorLevel)
	return nil
}

// Sync waits, up to the flush timeout, for the events of the configured
// client (or the default client) to be delivered. It returns nil: a
// delivery failure is no log output failure.
func (c *core) Sync() error {
	c.o.Flush(nil)
	return nil
}

// appendFields reads fs into dst: the last Context field's context becomes
// ctx, namespaces extend prefix, other fields are appended with their
// values read now.
func appendFields(ctx context.Context, dst []field, prefix string, fs []zapcore.Field) (context.Context, []field, string) {
	for i := range fs {
		f := &fs[i]
		switch f.Type {
		case zapcore.SkipType:
			if fc, ok := f.Interface.(context.Context); ok && fc != nil {
				ctx = fc
			}
			continue
		case zapcore.UnknownType:
			continue
		case zapcore.NamespaceType:
			prefix += f.Key + "."
			continue
		case zapcore.ErrorType:
			if err, ok := f.Interface.(error); ok && err != nil {
				dst = append(dst, field{key: prefix + f.Key, err: err})
			}
			continue
		}
		dst = append(dst, field{key: prefix + f.Key, val: value(f)})
	}
	return ctx, dst, prefix
}

// value returns the value of f that the event holds.
func value(f *zapcore.Field) any {
	switch f.Type {
	case zapcore.StringType:
		return f.String
	case zapcore.BoolType:
		return f.Integer == 1
	case zapcore.Int64Type, zapcore.Int32Type, zapcore.Int16Type, zapcore.Int8Type:
		return f.Integer
	case zapcore.Uint64Type, zapcore.Uint32Type, zapcore.Uint16Type, zapcore.Uint8Type, zapcore.UintptrType:
		return uint64(f.Integer)
	case zapcore.Float64Type:
		return math.Float64frombits(uint64(f.Integer))
	case zapcore.Float32Type:
		return float64(math.Float32frombits(uint32(f.Integer)))
	case zapcore.DurationType:
		return time.Duration(f.Integer).String()
	case zapcore.TimeType:
		t := time.Unix(0, f.Integer)
		if loc, ok := f.Interface.(*time.Location); ok {
			t = t.In(loc)
		}
		return t.Format("2006-01-02T15:04:05.000Z07:00")
	case zapcore.TimeFullType:
		if t, ok := f.Interface.(time.Time); ok {
			return t.Format("2006-01-02T15:04:05.000Z07:00")
		}
	case zapcore.ByteStringType:
		if b, ok := f.Interface.([]byte); ok {
			return string(b)
		}
	case zapcore.BinaryType:
		if b, ok := f.Interface.([]byte); ok {
			return base64.StdEncoding.EncodeToString(b)
		}
	case zapcore.ObjectMarshalerType, zapcore.ArrayMarshalerType:
		enc := zapcore.NewMapObjectEncoder()
		if err := safeAddTo(f, enc); err != nil {
			return err.Error()
		}
		return detach(enc.Fields[f.Key])
	}
	return fmt.Sprint(f.Interface) // Stringers, complex numbers, reflected values, with fmt's panic guard
}

// safeAddTo encodes f into enc; a marshaler that fails or panics leaves
// its error instead.
func safeAddTo(f *zapcore.Field, enc zapcore.ObjectEncoder) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("PANIC=%v", r)
		}
	}()
	f.AddTo(enc)
	return nil
}

// detach replaces the values a map encoder keeps by reference (reflected
// ones) with their text, so nothing of the caller's memory is read later.
func detach(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = detach(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = detach(e)
		}
		return x
	case nil, string, bool, int64, int32, int16, int8, int, uint64, uint32, uint16, uint8, uint, uintptr,
		float64, float32:
		return x
	case time.Duration:
		return x.String()
	case time.Time:
		return x.Format("2006-01-02T15:04:05.000Z07:00")
	}
	return fmt.Sprint(v)
}

func tagValue(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return fmt.Sprint(v)
}

func level(l zapcore.Level) raven.Level {
	switch {
	case l > zapcore.ErrorLevel:
		return raven.LevelFatal
	case l == zapcore.ErrorLevel:
		return raven.LevelError
	case l == zapcore.WarnLevel:
		return raven.LevelWarning
	case l == zapcore.InfoLevel:
		return raven.LevelInfo
	}
	return raven.LevelDebug
}
