package raven

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"runtime"
	"runtime/debug"
	"unicode/utf8"

	"github.com/ravenkit/raven/internal/errchain"
	"github.com/ravenkit/raven/internal/protocol"
	"github.com/ravenkit/raven/internal/stack"
	"github.com/ravenkit/raven/internal/trim"
	"github.com/ravenkit/raven/internal/uservalue"
)

// staticInfo is computed once per client and shared by every event.
type staticInfo struct {
	serverName string
	contexts   map[string]map[string]any
	modules    map[string]string
	sdk        *SDKInfo
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
	p.scope.Apply(ev, c.cfg.tags, p.request)

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
			"device":  {"type": "device", "arch": runtime.GOARCH, "processor_count": int64(runtime.NumCPU())},
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
