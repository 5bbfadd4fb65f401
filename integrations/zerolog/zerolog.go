// Package ravenzerolog turns zerolog events into breadcrumbs and Sentry
// events: a zerolog.LevelWriter that wraps the log's destination, and a
// zerolog.Hook that tells it which scope each record belongs to.
//
//	w := ravenzerolog.NewWriter(os.Stderr)
//	logger := zerolog.New(w).Hook(w).With().Timestamp().Logger()
//	logger.Info().Ctx(ctx).Str("item", k).Msg("cache miss")                   // a breadcrumb on ctx's scope
//	logger.Error().Ctx(ctx).EmbedObject(ravenzerolog.Err(err)).Msg("charge failed") // an event with err's chain
//
// # What is reported
//
// Records at or above the event level (WithEventLevel, default error) are
// reported as events. The error field (zerolog.ErrorFieldName) becomes the
// exception and the message is kept in the extra "log.message"; a record
// without an error is reported as a message event whose title is the
// record's message. Records at or above the breadcrumb level
// (WithBreadcrumbLevel, default info) and below the event level become
// breadcrumbs. Lower records, and records without a level
// (zerolog.NoLevel, Logger.Log, Logger.Print), are only passed on.
//
// Other fields become the event's extra, or tags for the keys listed with
// WithTagKeys, and a breadcrumb's data, as the JSON line holds them
// (strings, numbers, booleans, objects, arrays); the SDK scrubs them as
// any extra. The level, time and message fields are not repeated. Only the
// JSON encoding is read: with zerolog's binary_log build tag records are
// passed on and nothing is reported.
//
// # Why a writer and a hook
//
// A zerolog hook sees a record's level, message and context.Context
// (Event.GetCtx) but none of its fields, which zerolog has already encoded
// into its buffer; a writer sees the encoded fields but no context. So the
// Writer reads the fields from the line, and the Writer's hook (Run) tells
// it the record's scope: when the record's context carries a scope other
// than the root one (or an error value, see Err), the hook files it under
// a sequence number and adds that number to the record as a field named
// "_raven", which the Writer takes out of the line before passing it on.
// Install both, the Writer as the destination and the same Writer as a
// hook, and nothing else sees the field; the Writer must wrap the
// destination (use zerolog.MultiLevelWriter inside it for several), not
// stand beside it. Without the hook, everything goes to the root scope.
//
// # Scopes
//
// The scope is the one the record's context carries: Event.Ctx(ctx), or a
// logger made with Logger.With().Ctx(ctx). zerolog.Ctx(ctx) returns the
// logger stored in ctx, which carries no context of its own unless it was
// stored with one, so a per-request logger is best stored as
//
//	ctx = logger.With().Ctx(ctx).Logger().WithContext(ctx) // ctx carries the request's scope
//
// Without a scope, records go to the root scope of the client (WithClient,
// default the client current when the record is written). Event fields
// are set on a child scope, so they never stick to the context's scope.
//
// # Errors
//
// zerolog writes an error as its text (Event.Err): the Writer sees no
// error value, so the exception has the text as its value, the type
// *ravenzerolog.loggedError, and the stack of the logging call. Add the
// error with Err instead (Event.EmbedObject(ravenzerolog.Err(err))): the
// line is the same, and the event gets the error itself, with its chain
// and its own stack.
//
// # Cost and safety
//
// Records below the breadcrumb level cost a level comparison in the hook
// and one in the Writer. Others cost a read of the JSON line plus what
// raven's capture path does, on the logging goroutine. The Writer never
// logs. Do not give the client a diagnostics logger (raven.WithLogger)
// that writes through a zerolog logger with this Writer: a failure to
// report would then be reported again.
//
// Records at fatal and panic levels wait, up to DefaultFlushTimeout, for
// their event to be delivered; so does Close, which zerolog calls before
// exiting on a fatal record.
package ravenzerolog

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/integrations/internal/logreport"
	"github.com/rs/zerolog"
)

// Defaults of the Writer.
const (
	// DefaultBreadcrumbLevel is the lowest level recorded as a breadcrumb.
	DefaultBreadcrumbLevel = zerolog.InfoLevel
	// DefaultEventLevel is the lowest level reported as an event.
	DefaultEventLevel = zerolog.ErrorLevel
	// DefaultFlushTimeout bounds how long Close, and a record at fatal or
	// panic level, wait for events to be delivered.
	DefaultFlushTimeout = logreport.DefaultFlushTimeout
)

const (
	// tokenKey names the field the hook adds and the Writer removes.
	tokenKey = "_raven"
	// slotCount bounds the records filed by the hook and not yet written
	// (records being logged at once); a record whose slot was reused
	// meanwhile goes to the root scope.
	slotCount = 1024
)

// Option configures a Writer.
type Option = logreport.Option[zerolog.Level]

type options = logreport.Options[zerolog.Level]

// WithClient reports to c instead of the client of the scope on the
// record's context (or the default client).
func WithClient(c *raven.Client) Option { return logreport.WithClient[zerolog.Level](c) }

// WithBreadcrumbLevel sets the lowest level recorded as a breadcrumb
// (default DefaultBreadcrumbLevel). A level at or above the event level
// records no breadcrumbs.
func WithBreadcrumbLevel(l zerolog.Level) Option { return logreport.WithBreadcrumbLevel(l) }

// WithEventLevel sets the lowest level reported as an event (default
// DefaultEventLevel); zerolog.NoLevel reports none.
func WithEventLevel(l zerolog.Level) Option { return logreport.WithEventLevel(l) }

// WithTagKeys makes the fields with these keys tags of events; other
// fields become extra.
func WithTagKeys(keys ...string) Option { return logreport.WithTagKeys[zerolog.Level](keys) }

// WithFlushTimeout sets how long Close, and a record at fatal or panic
// level, wait for events to be delivered (default DefaultFlushTimeout);
// d <= 0 does not wait.
func WithFlushTimeout(d time.Duration) Option { return logreport.WithFlushTimeout[zerolog.Level](d) }

// pending is what the hook knows of a record and the Writer does not.
type pending struct {
	id    uint64
	ctx   context.Context
	scope *raven.Scope
	err   error
}

// slot holds the pending of one record from the hook to the Writer; slots
// are reused in turn, so filing a record allocates nothing.
type slot struct {
	mu sync.Mutex
	p  pending
}

// Writer is a zerolog.LevelWriter that passes every record on to the
// writer it wraps, then records breadcrumbs and reports events; it is
// also the zerolog.Hook that gives it each record's scope. It is safe for
// concurrent use.
type Writer struct {
	next  zerolog.LevelWriter
	o     options
	min   zerolog.Level
	seq   atomic.Uint64
	slots [slotCount]slot
	bufs  sync.Pool
	names interner
}

var (
	_ zerolog.LevelWriter = (*Writer)(nil)
	_ zerolog.Hook        = (*Writer)(nil)
	_ io.Closer           = (*Writer)(nil)
)

// NewWriter returns a Writer passing records on to next (nil: none).
// Install it as the logger's writer and as its hook:
//
//	logger := zerolog.New(w).Hook(w)
func NewWriter(next io.Writer, opts ...Option) *Writer {
	w := &Writer{o: logreport.NewOptions(DefaultBreadcrumbLevel, DefaultEventLevel, opts)}
	w.min = min(w.o.BreadcrumbLevel, w.o.EventLevel)
	switch n := next.(type) {
	case nil:
		w.next = zerolog.LevelWriterAdapter{Writer: io.Discard}
	case zerolog.LevelWriter:
		w.next = n
	default:
		w.next = zerolog.LevelWriterAdapter{Writer: n}
	}
	return w
}

// reported reports whether records at l are recorded or reported.
func (w *Writer) reported(l zerolog.Level) bool {
	return l >= w.min && l < zerolog.NoLevel
}

// Run is the hook: it files the scope of the record's context (and an
// error added with Err) for the Writer, when that is not the root scope.
func (w *Writer) Run(e *zerolog.Event, l zerolog.Level, _ string) {
	if !w.reported(l) || e == nil {
		return
	}
	ctx := e.GetCtx()
	err, _ := ctx.Value(errKey{}).(error)
	scope := w.o.Scope(ctx)
	if err == nil && scope == w.o.Scope(context.Background()) {
		return
	}
	id := w.seq.Add(1)
	sl := &w.slots[id%slotCount]
	sl.mu.Lock()
	sl.p = pending{id: id, ctx: ctx, scope: scope, err: err}
	sl.mu.Unlock()
	e.Uint64(tokenKey, id)
}

// Write passes p on, then reports it at the level its level field names.
func (w *Writer) Write(p []byte) (int, error) {
	l := zerolog.NoLevel
	if i := bytes.Index(p, []byte(`"`+zerolog.LevelFieldName+`":"`)); i >= 0 {
		rest := p[i+len(zerolog.LevelFieldName)+4:]
		if j := bytes.IndexByte(rest, '"'); j >= 0 {
			if pl, err := zerolog.ParseLevel(string(rest[:j])); err == nil {
				l = pl
			}
		}
	}
	return w.WriteLevel(l, p)
}

// WriteLevel passes p on to the wrapped writer, without the hook's field,
// then records the breadcrumb or reports the event.
func (w *Writer) WriteLevel(l zerolog.Level, p []byte) (int, error) {
	if !w.reported(l) {
		return w.next.WriteLevel(l, p)
	}
	line := p
	var pend *pending
	var filed pending
	var bp *[]byte
	if i, j, id, ok := findToken(p); ok {
		bp, _ = w.bufs.Get().(*[]byte)
		if bp == nil {
			bp = new([]byte)
		}
		line = append(append((*bp)[:0], p[:i]...), p[j:]...)
		*bp = line
		sl := &w.slots[id%slotCount]
		sl.mu.Lock()
		if sl.p.id == id {
			filed, pend = sl.p, &filed
			sl.p = pending{}
		}
		sl.mu.Unlock()
	}
	_, err := w.next.WriteLevel(l, line)
	w.report(l, line, pend)
	if bp != nil && cap(*bp) <= 64<<10 {
		w.bufs.Put(bp)
	}
	if err != nil {
		return 0, err
	}
	return len(p), nil
}

// Close waits, up to the flush timeout, for the events of the configured
// client (or the default client) to be delivered, then closes the wrapped
// writer if it is an io.Closer, as zerolog closes its writer before
// exiting on a fatal record (which is when zerolog calls this Close).
func (w *Writer) Close() error {
	w.o.Flush(nil)
	if c, ok := w.next.(io.Closer); ok { // zerolog.LevelWriterAdapter closes what it adapts
		return c.Close()
	}
	return nil
}

func (w *Writer) report(l zerolog.Level, line []byte, pend *pending) {
	msg, fields, ok := decode(line, &w.names)
	if !ok {
		return
	}
	ctx, scope := context.Background(), (*raven.Scope)(nil)
	if pend != nil {
		ctx, scope = pend.ctx, pend.scope
	} else {
		scope = w.o.Scope(ctx)
	}
	if l < w.o.EventLevel {
		logreport.Breadcrumb(scope, level(l), msg, time.Time{}, fields)
		return
	}
	// an event: the error field is the exception, the other fields ride
	// on a child scope
	var err error
	if v, has := fields[zerolog.ErrorFieldName]; has {
		delete(fields, zerolog.ErrorFieldName)
		err = &loggedError{text(v)}
	}
	if pend != nil && pend.err != nil {
		err = pend.err // the value Err kept, whatever ErrorMarshalFunc wrote
	}
	ev := w.o.Event(ctx, scope, level(l))
	for k, v := range fields {
		ev.Field(k, v, text)
	}
	ev.Send(msg, err, l >= zerolog.FatalLevel)
}

// text is a field's value as a tag's text: strings as they are, other
// values as JSON.
func text(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

func level(l zerolog.Level) raven.Level {
	switch {
	case l >= zerolog.FatalLevel:
		return raven.LevelFatal
	case l == zerolog.ErrorLevel:
		return raven.LevelError
	case l == zerolog.WarnLevel:
		return raven.LevelWarning
	case l == zerolog.InfoLevel:
		return raven.LevelInfo
	}
	return raven.LevelDebug
}

// loggedError is the error of a record whose error value is unknown: the
// text zerolog wrote.
type loggedError struct{ msg string }

func (e *loggedError) Error() string { return e.msg }

type errKey struct{}

// Err returns an object that adds err to an event as Event.Err does (the
// same field, the same stack with Event.Stack) and also keeps the error
// value for the Writer, so that the exception has the error's chain and
// stack:
//
//	logger.Error().Ctx(ctx).EmbedObject(ravenzerolog.Err(err)).Msg("charge failed")
//
// It keeps the value on the event's context: call Event.Ctx before it, not
// after. A nil err adds nothing.
func Err(err error) zerolog.LogObjectMarshaler { return errObject{err} }

type errObject struct{ err error }

// MarshalZerologObject adds the error to e.
func (o errObject) MarshalZerologObject(e *zerolog.Event) {
	if o.err == nil {
		return
	}
	e.Ctx(context.WithValue(e.GetCtx(), errKey{}, o.err)).Err(o.err)
}
