// Package crashparse reads the crash output of a Go program (what the
// runtime prints when a panic is not recovered or a fatal error occurs)
// into an event: the panics, the crashing goroutine's stack, and every
// goroutine as a thread.
package crashparse

import (
	"bytes"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ravenkit/raven/internal/protocol"
	"github.com/ravenkit/raven/internal/stack"
)

// Limits of the parser. Input beyond MaxOutputBytes is ignored (the
// runtime prints the crashing goroutine first, so it is never what gets
// cut); goroutines beyond MaxThreads and frames beyond MaxFrames per
// goroutine are left out of the event. Values (panic messages) keep at
// most MaxValueBytes.
const (
	MaxOutputBytes    = 8 << 20
	MaxThreads        = 100
	MaxFrames         = 100
	MaxValueBytes     = 8 << 10
	maxCrashPanics    = 16
	maxCrashLineBytes = 4 << 10
)

// Report is the parsed form of a Go crash output.
type Report struct {
	fatal      bool         // "fatal error:" rather than "panic:"
	panics     []crashPanic // in the order printed: the last one killed the process
	signal     string       // "SIGSEGV: segmentation violation code=... addr=... pc=..."
	goroutines []crashGoroutine
	omitted    int // goroutines beyond MaxThreads
	truncated  bool
	// headerless: the output starts with the goroutines. The runtime
	// prints "fatal error: MSG" to stderr only, before it copies its output
	// to the file given to SetCrashOutput, so crash outputs of fatal errors
	// read there lack the message.
	headerless bool
	newstack   bool // the runtime stack shows runtime.newstack: a stack overflow
}

type crashPanic struct {
	value      string
	recovered  bool
	repanicked bool
}

type crashGoroutine struct {
	id        uint64
	state     string
	frames    []crashFrame // innermost first, as printed (bounded)
	elided    int          // frames left out by the runtime or by us
	createdBy string       // "main.inGoroutine in goroutine 1"
}

type crashFrame struct {
	function string // full symbol: "main.(*T).M"
	file     string
	line     int
}

// Parse parses data; nil when no crash header is found. With
// headerless, output that starts with a goroutine dump (or the runtime
// stack) counts as a fatal error whose message is unknown: that is what
// the SetCrashOutput file holds for fatal errors.
func Parse(data []byte, headerless bool) *Report {
	r := &Report{}
	if len(data) > MaxOutputBytes {
		data = data[:MaxOutputBytes]
		r.truncated = true
	}
	var g *crashGoroutine
	inHeader := false  // reading the panic lines
	inRuntime := false // reading the "runtime stack:" block, not a goroutine
	var pendingFn string
	found := false
	for len(data) > 0 {
		var line []byte
		line, data, _ = bytes.Cut(data, []byte{'\n'})
		if len(line) > maxCrashLineBytes {
			line = line[:maxCrashLineBytes]
		}
		s := strings.TrimRight(string(line), "\r")
		if !found {
			if v, ok := strings.CutPrefix(s, "panic: "); ok {
				found, inHeader = true, true
				r.addPanic(v)
				continue
			} else if v, ok := strings.CutPrefix(s, "fatal error: "); ok {
				found, inHeader, r.fatal = true, true, true
				r.panics = append(r.panics, crashPanic{value: protocol.Clamp(v, MaxValueBytes)})
				continue
			}
			if !headerless || !(s == "runtime stack:" || (strings.HasPrefix(s, "goroutine ") && strings.HasSuffix(s, ":"))) {
				continue
			}
			found, r.fatal, r.headerless = true, true, true
			r.panics = append(r.panics, crashPanic{})
		}
		switch {
		case inHeader && strings.HasPrefix(s, "\tpanic: "):
			r.addPanic(s[len("\tpanic: "):])
		case inHeader && strings.HasPrefix(s, "\t") && len(r.panics) > 0:
			// continuation of a multi-line panic value
			p := &r.panics[len(r.panics)-1]
			if len(p.value) < MaxValueBytes {
				p.value = protocol.Clamp(p.value+"\n"+s[1:], MaxValueBytes)
			}
		case strings.HasPrefix(s, "[signal ") && strings.HasSuffix(s, "]") && r.signal == "":
			r.signal = s[len("[signal ") : len(s)-1]
		case s == "runtime stack:":
			inHeader, inRuntime, g = false, true, nil
		case strings.HasPrefix(s, "goroutine ") && strings.HasSuffix(s, ":"):
			inHeader, inRuntime, pendingFn = false, false, ""
			ng, ok := parseGoroutineHeader(s)
			if !ok {
				g = nil
				continue
			}
			if len(r.goroutines) >= MaxThreads {
				r.omitted++
				g = nil
				continue
			}
			r.goroutines = append(r.goroutines, ng)
			g = &r.goroutines[len(r.goroutines)-1]
		case s == "":
			inHeader, pendingFn = false, ""
			if !inRuntime {
				g = nil
			}
		case inRuntime && strings.HasPrefix(s, "runtime.newstack("):
			r.newstack = true
		case inRuntime || g == nil:
			// runtime messages, "exit status 2" and the like
		case strings.HasPrefix(s, "\t"):
			if pendingFn == "" {
				continue
			}
			file, lineno := parseFileLine(s[1:])
			if strings.HasPrefix(pendingFn, "created by ") {
				g.createdBy = strings.TrimPrefix(pendingFn, "created by ")
			} else {
				if pendingFn == "panic" { // how tracebacks print runtime.gopanic
					pendingFn = "runtime.gopanic"
				}
				g.addFrame(crashFrame{function: pendingFn, file: file, line: lineno})
			}
			pendingFn = ""
		case strings.HasPrefix(s, "...") && strings.HasSuffix(s, "elided..."):
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(s, "..."), " frames elided..."))
			g.elided += max(n, 1)
		case strings.HasPrefix(s, "created by "):
			pendingFn = s
		default:
			pendingFn = parseFuncLine(s)
		}
	}
	if !found {
		return nil
	}
	return r
}

// addPanic records one "panic: V [recovered...]" line.
func (r *Report) addPanic(v string) {
	if len(r.panics) >= maxCrashPanics {
		r.panics = r.panics[1:] // keep the last ones: they killed the process
	}
	p := crashPanic{}
	if s, ok := strings.CutSuffix(v, " [recovered, repanicked]"); ok {
		v, p.recovered, p.repanicked = s, true, true
	} else if s, ok := strings.CutSuffix(v, " [recovered]"); ok {
		v, p.recovered = s, true
	}
	p.value = protocol.Clamp(v, MaxValueBytes)
	r.panics = append(r.panics, p)
}

// addFrame keeps the innermost MaxFrames/2 frames and the outermost
// ones (a ring), counting what is left out.
func (g *crashGoroutine) addFrame(f crashFrame) {
	const head = MaxFrames / 2
	if len(g.frames) < MaxFrames {
		g.frames = append(g.frames, f)
		return
	}
	// frames[head:] is a ring of the last tail frames; shift it.
	copy(g.frames[head:], g.frames[head+1:])
	g.frames[MaxFrames-1] = f
	g.elided++
}

// parseGoroutineHeader parses "goroutine 5 [chan receive, 2 minutes]:" and
// "goroutine 1 gp=0x... m=2 mp=0x... [running]:".
func parseGoroutineHeader(s string) (crashGoroutine, bool) {
	rest := strings.TrimSuffix(strings.TrimPrefix(s, "goroutine "), ":")
	num, rest, _ := strings.Cut(rest, " ")
	id, err := strconv.ParseUint(num, 10, 64)
	if err != nil {
		return crashGoroutine{}, false
	}
	g := crashGoroutine{id: id}
	if i := strings.IndexByte(rest, '['); i >= 0 {
		if j := strings.LastIndexByte(rest, ']'); j > i {
			g.state = rest[i+1 : j]
		}
	}
	return g, true
}

// parseFuncLine returns the symbol of a frame's function line
// "main.(*T).M(0x1, {0x2?, 0x3?})" or "" when the line is not one.
func parseFuncLine(s string) string {
	if !strings.HasSuffix(s, ")") {
		return ""
	}
	i := strings.LastIndexByte(s, '(') // arguments never hold parentheses
	if i <= 0 || strings.ContainsAny(s[:i], " \t") {
		return ""
	}
	return s[:i]
}

// parseFileLine parses "/path/file.go:123 +0x1d fp=... sp=... pc=...".
func parseFileLine(s string) (file string, line int) {
	for _, sep := range []string{" +0x", " fp=", " pc="} {
		if i := strings.Index(s, sep); i >= 0 {
			s = s[:i]
		}
	}
	s = strings.TrimSpace(s)
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return s, 0
	}
	n, err := strconv.Atoi(s[i+1:])
	if err != nil || n < 0 {
		return s, 0
	}
	return s[:i], n
}

// Event builds the fatal event of the report.
func (r *Report) Event(fi *stack.Symbolizer, now time.Time) *protocol.Event {
	ev := &protocol.Event{EventID: protocol.NewEventID(), Timestamp: now, Platform: "go", Level: protocol.LevelFatal}
	var crashed *crashGoroutine
	if len(r.goroutines) > 0 {
		crashed = &r.goroutines[0]
	}
	threads := make([]protocol.Thread, 0, len(r.goroutines))
	for i := range r.goroutines {
		g := &r.goroutines[i]
		t := protocol.Thread{ID: g.id, Name: "goroutine " + strconv.FormatUint(g.id, 10), State: ValidUTF8(g.state),
			Crashed: g == crashed, Current: g == crashed, Main: g.id == 1}
		if g.createdBy != "" {
			t.Name += " (created by " + ValidUTF8(g.createdBy) + ")"
		}
		if fr := crashFrames(fi, g.frames, false); len(fr) > 0 {
			t.Stacktrace = &protocol.Stacktrace{Frames: fr}
		}
		threads = append(threads, t)
	}
	if len(threads) > 0 {
		ev.Threads = &protocol.ThreadList{Values: threads}
	}

	mechType := "panic"
	if r.fatal {
		mechType = "fatal_error"
	}
	if r.headerless && len(r.panics) == 1 {
		r.panics[0].value = r.headerlessMessage(crashed)
	}
	n := len(r.panics)
	excs := make([]protocol.Exception, n)
	for i, p := range r.panics {
		typ, val := panicTypeValue(p.value, r.fatal)
		m := &protocol.Mechanism{Type: mechType, Handled: new(false), ExceptionID: n - 1 - i}
		if i < n-1 {
			// an earlier panic, superseded by the next one
			m.ParentID = new(int)
			*m.ParentID = n - 2 - i
		}
		data := map[string]any{}
		if p.recovered {
			data["recovered"] = true
		}
		if p.repanicked {
			data["repanicked"] = true
		}
		if r.headerless {
			data["message_unavailable"] = true
		}
		if i == n-1 {
			if r.signal != "" {
				data["signal"] = ValidUTF8(r.signal)
			}
			if crashed != nil && crashed.elided > 0 {
				data["frames_elided"] = crashed.elided
			}
			if r.omitted > 0 {
				data["goroutines_omitted"] = r.omitted
			}
			if r.truncated {
				data["output_truncated"] = true
			}
		}
		if len(data) > 0 {
			m.Data = data
		}
		e := protocol.Exception{Type: typ, Value: val, Mechanism: m}
		if i == n-1 && crashed != nil {
			id := crashed.id
			e.ThreadID = &id
			if fr := crashFrames(fi, crashed.frames, true); len(fr) > 0 {
				e.Stacktrace = &protocol.Stacktrace{Frames: fr}
			}
		}
		excs[i] = e
	}
	ev.Exception = &protocol.ExceptionList{Values: excs}
	return ev
}

// headerlessMessage names a fatal error whose message the crash output
// lacks, from what the runtime printed after it: the innermost frame of the
// crashing goroutine, the runtime stack, the goroutines' states.
func (r *Report) headerlessMessage(g *crashGoroutine) string {
	const note = " (the runtime printed the exact message to standard error only)"
	if g != nil && len(g.frames) > 0 {
		pkg, fn := stack.SplitSymbol(g.frames[0].function)
		if pkg == "internal/runtime/maps" && fn == "fatal" {
			return "concurrent map access" + note
		}
	}
	if r.newstack {
		return "stack overflow" + note
	}
	if len(r.goroutines) > 0 && r.omitted == 0 {
		running := false
		for _, g := range r.goroutines {
			running = running || strings.HasPrefix(g.state, "running") || strings.HasPrefix(g.state, "runnable") || strings.HasPrefix(g.state, "syscall")
		}
		if !running {
			return "all goroutines are asleep - deadlock!" + note
		}
	}
	return "unknown fatal error" + note
}

// crashFrames converts printed frames (innermost first) into event frames,
// oldest first. For the exception, the runtime's panic machinery at the
// innermost end (the frames of the runtime's packages above the first frame
// outside them, stack.IsRuntime: the rule recovered panics follow too) is
// removed, unless nothing else remains.
func crashFrames(fi *stack.Symbolizer, frames []crashFrame, trimRuntime bool) []protocol.Frame {
	start := 0
	if trimRuntime {
		for start < len(frames) {
			if pkg, _ := stack.SplitSymbol(frames[start].function); !stack.IsRuntime(pkg) {
				break
			}
			start++
		}
		if start == len(frames) {
			start = 0
		}
	}
	out := make([]protocol.Frame, 0, len(frames)-start)
	for i := len(frames) - 1; i >= start; i-- {
		f := frames[i]
		pkg, fn := stack.SplitSymbol(ValidUTF8(f.function))
		if pkg == "runtime" && (fn == "goexit" || fn == "main") {
			continue // printed only with GOTRACEBACK=system and for fatal errors
		}
		out = append(out, fi.Frame(pkg, fn, ValidUTF8(f.file), f.line))
	}
	return out
}

// panicTypeValue derives the exception type and value from a panic line.
func panicTypeValue(v string, fatal bool) (typ, val string) {
	v = ValidUTF8(v)
	switch {
	case fatal:
		return "fatal error", v
	case strings.HasPrefix(v, "runtime error: "):
		return "runtime error", strings.TrimPrefix(v, "runtime error: ")
	case strings.HasPrefix(v, "(") && strings.Contains(v, ") "):
		// panic(someStruct{}) prints "(main.point) 0x4d3ff0"
		t, _, _ := strings.Cut(v[1:], ") ")
		if t != "" && !strings.ContainsAny(t, " \t\n") {
			return t, v
		}
	}
	return "panic", v
}

// ValidUTF8 returns s with invalid UTF-8 replaced.
func ValidUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
