// Package builder turns what a capture recorded into an event on the
// sender goroutines: the stack symbolized, the error chain walked into
// exceptions, the scope applied, user values made plain and bounded,
// secrets scrubbed, ignore rules, event processors and BeforeSend run
// (each recovered), and the result encoded within the size budget.
package builder

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"regexp"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ravenkit/raven/internal/delivery"
	"github.com/ravenkit/raven/internal/errchain"
	"github.com/ravenkit/raven/internal/protocol"
	"github.com/ravenkit/raven/internal/scope"
	"github.com/ravenkit/raven/internal/scrub"
	"github.com/ravenkit/raven/internal/stack"
	"github.com/ravenkit/raven/internal/trim"
	"github.com/ravenkit/raven/internal/uservalue"
)

// Capture is what the capturing goroutine recorded.
type Capture struct {
	ID        protocol.EventID
	TS        time.Time
	Level     protocol.Level
	Err       error
	Msg       string
	PanicVal  any
	Panicked  bool
	Handled   bool
	Mechanism string
	PCs       []uintptr // capture-site or panic stack, innermost first
	Scope     *scope.Data
	Request   *protocol.Request // built from the scope's RequestSource at capture
	Event     *protocol.Event   // CaptureEvent
	// Ctx is the context of the capture; HTTPRequest and Transaction come
	// from the scope's RequestSource, read at capture.
	Ctx         context.Context
	HTTPRequest *http.Request
	Transaction string
	// ContextName and ContextValue: a named context the source adds
	// unless the event or the scope has one of that name.
	ContextName  string
	ContextValue map[string]any
}

// Static is computed once per client and shared by every event.
type Static struct {
	ServerName string
	Contexts   map[string]map[string]any
	Modules    map[string]string
	SDK        *protocol.SDKInfo
}

// Builder holds the client's settings for building events.
type Builder struct {
	Release, Environment, Dist string
	Tags                       map[string]string
	Static                     Static
	Frames                     *stack.Symbolizer
	MaxErrorDepth              int
	Scrub                      scrub.Scrubber
	IgnoreErrors               []*regexp.Regexp
	IgnoreIs                   []error
	Processors                 []func(*protocol.Event) *protocol.Event
	BeforeSend                 func(*protocol.Event, *scope.Hint) *protocol.Event
	Logger                     *slog.Logger
	// fixedTags remembers the tag keys already logged as fixed, up to
	// maxLoggedTags of them (fixedCount).
	fixedTags  sync.Map
	fixedCount atomic.Int32
}

// Build turns a capture into an event; a nil event comes with the reason
// it was dropped. It never panics: a panic in a hook or in a user value's
// method drops the event as event_processor.
func (b *Builder) Build(p *Capture) (ev *protocol.Event, reason delivery.DropReason, err error) {
	defer func() {
		if r := recover(); r != nil {
			ev, reason, err = nil, delivery.DropEventProcessor, fmt.Errorf("raven: building event panicked: %v", r)
			b.Logger.Error("raven: building event panicked", slog.Any("panic", r), slog.String("stack", string(debug.Stack())))
		}
	}()
	if p.Event != nil {
		cp := *p.Event
		ev = &cp
	} else {
		ev = &protocol.Event{}
	}
	ev.EventID = p.ID
	if ev.Timestamp.IsZero() {
		ev.Timestamp = p.TS
	}
	ev.Platform = "go"
	if ev.Level == "" {
		ev.Level = p.Level
	}
	if ev.Level == "" {
		ev.Level = protocol.LevelError
	}
	setDefault(&ev.Release, b.Release)
	setDefault(&ev.Environment, b.Environment)
	setDefault(&ev.Dist, b.Dist)
	setDefault(&ev.ServerName, b.Static.ServerName)
	if ev.SDK == nil {
		ev.SDK = b.Static.SDK
	}
	if ev.Modules == nil {
		ev.Modules = b.Static.Modules
	}
	ev.Contexts = MergeContexts(b.Static.Contexts, ev.Contexts)
	p.Scope.Apply(ev, b.Tags, p.Request)
	if p.ContextName != "" && p.ContextValue != nil && ev.Contexts[p.ContextName] == nil {
		ev.Contexts[p.ContextName] = p.ContextValue
	}

	switch {
	case p.Err != nil:
		b.addException(ev, p)
	case p.Panicked:
		msg := protocol.Clamp(uservalue.Describe(p.PanicVal), protocol.MaxValueBytes)
		typ := "panic"
		if _, isStr := p.PanicVal.(string); !isStr {
			typ = fmt.Sprintf("%T", p.PanicVal) // panic(customType{...})
		}
		exc := protocol.Exception{Type: typ, Value: msg, Mechanism: &protocol.Mechanism{Type: "panic", Handled: new(false)}}
		if p.PCs != nil {
			exc.Stacktrace = b.stack(p.PCs, true)
		}
		ev.Exception = &protocol.ExceptionList{Values: []protocol.Exception{exc}}
	case p.Event == nil:
		ev.Message = &protocol.LogEntry{Formatted: protocol.CutString(p.Msg, protocol.MaxMessageBytes)}
		if p.PCs != nil {
			ev.Threads = &protocol.ThreadList{Values: []protocol.Thread{{ID: 0, Current: true, Crashed: false, Stacktrace: b.stack(p.PCs, false)}}}
		}
	}

	Normalize(ev)
	if cuts := uservalue.PlainEvent(ev, true); cuts > 0 {
		b.Logger.Debug("raven: user values cut to their bounds", slog.String("event_id", string(ev.EventID)), slog.Int("placeholders", cuts))
	}
	b.Scrub.Event(ev)
	if ev.Transaction == "" {
		ev.Transaction = p.Transaction
	}
	if b.ignored(ev) {
		return nil, delivery.DropEventProcessor, errors.New("raven: matched IgnoreErrors")
	}
	for _, target := range b.IgnoreIs {
		if errchain.Is(p.Err, target) {
			return nil, delivery.DropEventProcessor, errors.New("raven: matched IgnoreErrorsIs")
		}
	}
	hint := &scope.Hint{Err: p.Err, Request: p.HTTPRequest, Context: p.Ctx}
	if p.Panicked {
		hint.Panic = p.PanicVal
	}
	if p.Scope != nil {
		for _, f := range p.Scope.Processors {
			if ev = b.runHook("scope event processor", func() *protocol.Event { return f(ev, hint) }); ev == nil {
				return nil, delivery.DropEventProcessor, nil
			}
		}
	}
	for _, f := range b.Processors {
		if ev = b.runHook("event processor", func() *protocol.Event { return f(ev) }); ev == nil {
			return nil, delivery.DropEventProcessor, nil
		}
	}
	if b.BeforeSend != nil {
		if ev = b.runHook("BeforeSend", func() *protocol.Event { return b.BeforeSend(ev, hint) }); ev == nil {
			return nil, delivery.DropBeforeSend, nil
		}
	}
	b.sanitizeTags(ev)
	return ev, "", nil
}

func (b *Builder) runHook(name string, f func() *protocol.Event) (out *protocol.Event) {
	defer func() {
		if r := recover(); r != nil {
			b.Logger.Error("raven: "+name+" panicked; event dropped", slog.Any("panic", r))
			out = nil
		}
	}()
	return f()
}

// RunBeforeBreadcrumb runs the BeforeBreadcrumb hook f on bc; a panic in
// f drops the breadcrumb (nil) and is logged to log.
func RunBeforeBreadcrumb(log *slog.Logger, f func(*protocol.Breadcrumb) *protocol.Breadcrumb, bc *protocol.Breadcrumb) (out *protocol.Breadcrumb) {
	defer func() {
		if r := recover(); r != nil {
			log.Error("raven: BeforeBreadcrumb panicked; breadcrumb dropped", slog.Any("panic", r))
			out = nil
		}
	}()
	return f(bc)
}

func (b *Builder) stack(pcs []uintptr, panicking bool) *protocol.Stacktrace {
	frames := b.Frames.Symbolize(pcs, panicking)
	if len(frames) == 0 {
		return nil
	}
	return &protocol.Stacktrace{Frames: frames}
}

// addException turns the error chain into exceptions, innermost first.
func (b *Builder) addException(ev *protocol.Event, p *Capture) {
	links := errchain.Walk(p.Err, b.MaxErrorDepth)
	if len(links) == 0 {
		return
	}
	mechType := p.Mechanism
	if mechType == "" {
		mechType = "generic"
	}
	excs := make([]protocol.Exception, len(links))
	for i, l := range links {
		e := l.Exc
		m := &protocol.Mechanism{Type: "chained", Source: "", ExceptionID: i, IsExceptionGroup: l.Group}
		if l.Parent >= 0 {
			m.ParentID = new(int)
			*m.ParentID = l.Parent
		} else {
			m.Type = mechType
			m.Handled = new(p.Handled)
		}
		e.Mechanism = m
		pcs, panicking := l.PCs, false
		if i == 0 && pcs == nil && p.PCs != nil {
			// the capture site (or the panic site) for the outermost link
			// when it carries no stack of its own
			pcs, panicking = p.PCs, p.Panicked
		}
		if pcs != nil {
			e.Stacktrace = b.stack(pcs, panicking)
		}
		excs[len(links)-1-i] = e
	}
	ev.Exception = &protocol.ExceptionList{Values: excs}
}

func (b *Builder) ignored(ev *protocol.Event) bool {
	if len(b.IgnoreErrors) == 0 {
		return false
	}
	match := func(s string) bool {
		for _, re := range b.IgnoreErrors {
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

// MergeContexts returns a new map of static's contexts and own's, own's
// winning.
func MergeContexts(static, own map[string]map[string]any) map[string]map[string]any {
	out := make(map[string]map[string]any, len(static)+len(own)+2)
	maps.Copy(out, static)
	maps.Copy(out, own)
	return out
}

// setDefault sets *dst to v when it is empty.
func setDefault(dst *string, v string) {
	if *dst == "" {
		*dst = v
	}
}

// NewStatic computes what every event of a client shares: the server
// name (the host name when empty), the os, runtime and device contexts, the
// modules of the build, and sdk.
func NewStatic(serverName string, sdk *protocol.SDKInfo) Static {
	if serverName == "" {
		serverName, _ = os.Hostname()
	}
	s := Static{
		ServerName: serverName,
		Contexts: map[string]map[string]any{
			"os":      {"type": "os", "name": runtime.GOOS},
			"runtime": {"type": "runtime", "name": "go", "version": runtime.Version()},
			"device":  {"type": "device", "arch": runtime.GOARCH, "processor_count": int64(runtime.NumCPU())},
		},
		SDK: sdk,
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		s.Modules = make(map[string]string, len(bi.Deps)+1)
		if bi.Main.Path != "" {
			s.Modules[bi.Main.Path] = bi.Main.Version
		}
		for _, d := range bi.Deps {
			v := d.Version
			if d.Replace != nil {
				v = d.Replace.Version
				if v == "" {
					v = "replaced:" + d.Replace.Path
				}
			}
			s.Modules[d.Path] = v
		}
	}
	return s
}

// VCSRevision is the VCS revision recorded in the binary, or "".
func VCSRevision() string {
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

// Encode marshals ev, trimming it to fit limit bytes.
func Encode(ev *protocol.Event, limit int) ([]byte, error) {
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

// Normalize makes the level one the server knows (tags are made
// acceptable after the hooks, by sanitizeTags).
func Normalize(ev *protocol.Event) {
	switch ev.Level {
	case protocol.LevelDebug, protocol.LevelInfo, protocol.LevelWarning, protocol.LevelError, protocol.LevelFatal:
	default:
		ev.Level = protocol.LevelError
	}
}
