// Package trim shrinks an encoded event to the size limit, losing the
// least first.
package trim

import (
	"fmt"

	"github.com/ravenkit/raven/internal/protocol"
)

// ToFit shrinks an event whose encoding b exceeds limit bytes, in the
// order that loses the least: oldest breadcrumbs, then source context
// lines, then extra values, then the middle frames of the deepest stacks,
// then long strings. It never gives up on an event for its size unless
// even the skeleton does not fit.
func ToFit(ev *protocol.Event, b []byte, limit int) ([]byte, error) {
	steps := []func(*protocol.Event) bool{
		trimBreadcrumbs,
		trimContextLines,
		trimExtra,
		trimFrames,
		trimStrings,
		dropOptional,
	}
	var err error
	for _, step := range steps {
		for len(b) > limit && step(ev) {
			if b, err = ev.MarshalJSON(); err != nil {
				return nil, err
			}
		}
		if len(b) <= limit {
			return b, nil
		}
	}
	return nil, fmt.Errorf("raven: event of %d bytes does not fit %d even trimmed", len(b), limit)
}

// trimBreadcrumbs drops the older half of the breadcrumbs; false when none
// are left.
func trimBreadcrumbs(ev *protocol.Event) bool {
	if ev.Breadcrumbs == nil || len(ev.Breadcrumbs.Values) == 0 {
		return false
	}
	v := ev.Breadcrumbs.Values
	ev.Breadcrumbs = &protocol.BreadcrumbList{Values: append([]protocol.Breadcrumb(nil), v[len(v)/2:]...)}
	if len(v) == 1 {
		ev.Breadcrumbs = nil
	}
	return true
}

// stacks lists every stack trace of the event.
func stacks(ev *protocol.Event) []*protocol.Stacktrace {
	var out []*protocol.Stacktrace
	if ev.Exception != nil {
		for i := range ev.Exception.Values {
			if st := ev.Exception.Values[i].Stacktrace; st != nil {
				out = append(out, st)
			}
		}
	}
	if ev.Threads != nil {
		for i := range ev.Threads.Values {
			if st := ev.Threads.Values[i].Stacktrace; st != nil {
				out = append(out, st)
			}
		}
	}
	return out
}

// trimContextLines removes every frame's source context at once.
func trimContextLines(ev *protocol.Event) bool {
	changed := false
	for _, st := range stacks(ev) {
		frames := make([]protocol.Frame, len(st.Frames))
		for i, f := range st.Frames {
			if f.PreContext != nil || f.PostContext != nil || f.ContextLine != "" {
				changed = true
			}
			f.PreContext, f.PostContext, f.ContextLine = nil, nil, ""
			frames[i] = f
		}
		st.Frames = frames
	}
	return changed
}

const trimmedMarker = "[trimmed: event over the size limit]"

// trimExtra replaces half of the extra values still present with a
// marker, so the keys stay visible.
func trimExtra(ev *protocol.Event) bool {
	left := 0
	for _, v := range ev.Extra {
		if v != trimmedMarker {
			left++
		}
	}
	if left == 0 {
		return false
	}
	keep := left / 2
	out := make(map[string]any, len(ev.Extra))
	for k, v := range ev.Extra {
		if v != trimmedMarker && keep > 0 {
			out[k] = v
			keep--
			continue
		}
		out[k] = trimmedMarker
	}
	ev.Extra = out
	return true
}

// trimFrames halves the deepest stack, keeping both ends.
func trimFrames(ev *protocol.Event) bool {
	var deepest *protocol.Stacktrace
	for _, st := range stacks(ev) {
		if deepest == nil || len(st.Frames) > len(deepest.Frames) {
			deepest = st
		}
	}
	if deepest == nil || len(deepest.Frames) <= 10 {
		return false
	}
	n := len(deepest.Frames) / 2
	head := n / 2
	frames := append([]protocol.Frame(nil), deepest.Frames[:head]...)
	deepest.Frames = append(frames, deepest.Frames[len(deepest.Frames)-(n-head):]...)
	return true
}

const trimmedStringBytes = 1024

// trimStrings truncates long messages, exception values and request data.
func trimStrings(ev *protocol.Event) bool {
	changed := false
	clamp := func(s *string) {
		if len(*s) > trimmedStringBytes {
			*s = protocol.Clamp(*s, trimmedStringBytes)
			changed = true
		}
	}
	if ev.Message != nil {
		m := *ev.Message
		clamp(&m.Formatted)
		clamp(&m.Message)
		ev.Message = &m
	}
	if ev.Exception != nil {
		for i := range ev.Exception.Values {
			clamp(&ev.Exception.Values[i].Value)
		}
	}
	if ev.Request != nil && ev.Request.Data != nil {
		r := *ev.Request
		r.Data = nil
		ev.Request = &r
		changed = true
	}
	return changed
}

// dropOptional removes what is left that the server can live without.
func dropOptional(ev *protocol.Event) bool {
	if ev.Modules == nil && ev.Extra == nil && ev.Threads == nil && ev.Contexts == nil && ev.Request == nil {
		return false
	}
	ev.Modules, ev.Extra, ev.Threads, ev.Contexts, ev.Request = nil, nil, nil, nil, nil
	return true
}
