// Package eventprint writes an event as a few lines a person reads in a
// terminal: level and id, message, exceptions with their in-app frames and
// source lines, breadcrumbs, tags, user and request. The quickstart example
// and `raven listen` print what they receive with it.
package eventprint

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/ravenkit/raven/internal/protocol"
)

// maxOtherFrames is how many of the innermost frames are printed for a
// stack without any in-app frame.
const maxOtherFrames = 3

// Fprint writes ev to w, followed by an empty line.
func Fprint(w io.Writer, ev *protocol.Event) {
	p := &printer{w: w}
	p.line("── event %s  level=%s", ev.EventID, ev.Level)
	if ev.Release != "" || ev.Environment != "" {
		p.line("   release: %s  environment: %s", or(ev.Release, "-"), or(ev.Environment, "-"))
	}
	if m := ev.Message; m != nil {
		p.line("   message: %s", or(m.Formatted, m.Message))
	}
	if ev.Exception != nil {
		vals := ev.Exception.Values
		for i := len(vals) - 1; i >= 0; i-- { // outermost first, as Go prints errors
			e := vals[i]
			p.line("   %s: %s", or(e.Type, "error"), e.Value)
			p.frames(e.Stacktrace)
		}
	} else if ev.Threads != nil {
		for _, th := range ev.Threads.Values {
			if th.Crashed || th.Current {
				p.frames(th.Stacktrace)
			}
		}
	}
	if ev.Breadcrumbs != nil {
		for _, b := range ev.Breadcrumbs.Values {
			p.line("   breadcrumb [%s] %s", b.Category, b.Message)
		}
	}
	if len(ev.Tags) > 0 {
		p.line("   tags: %s", pairs(ev.Tags))
	}
	if u := ev.User; u != nil {
		p.line("   user: %s", pairs(map[string]string{"id": u.ID, "username": u.Username, "email": u.Email, "ip_address": u.IPAddress}))
	}
	switch r := ev.Request; {
	case r != nil && ev.Transaction != "":
		p.line("   request: %s %s (transaction %q)", r.Method, r.URL, ev.Transaction)
	case r != nil:
		p.line("   request: %s %s", r.Method, r.URL)
	case ev.Transaction != "":
		p.line("   transaction: %s", ev.Transaction)
	}
	p.line("")
}

type printer struct{ w io.Writer }

func (p *printer) line(format string, args ...any) {
	fmt.Fprintf(p.w, format+"\n", args...)
}

// frames prints the in-app frames of st, innermost first, each with its
// source line; with no in-app frame, the innermost few.
func (p *printer) frames(st *protocol.Stacktrace) {
	if st == nil {
		return
	}
	inApp := slices.ContainsFunc(st.Frames, func(f protocol.Frame) bool { return f.InApp })
	shown := 0
	for j := len(st.Frames) - 1; j >= 0; j-- {
		f := st.Frames[j]
		if inApp && !f.InApp || !inApp && shown == maxOtherFrames {
			continue
		}
		shown++
		p.line("      at %s (%s:%d)", or(f.Function, "?"), or(f.Filename, f.AbsPath), f.Lineno)
		if f.ContextLine != "" {
			p.line("         > %s", strings.TrimSpace(f.ContextLine))
		}
	}
}

// pairs writes the non-empty members of m as k=v, sorted by key.
func pairs(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k, v := range m {
		if v != "" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k + "=" + m[k])
	}
	return b.String()
}

func or(s, alt string) string {
	if s != "" {
		return s
	}
	return alt
}
