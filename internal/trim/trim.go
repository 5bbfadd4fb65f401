// Package trim shrinks an encoded event to the size limit, cutting the
// largest part first.
//
// The parts are what can grow without bound: each extra value, each
// context, the message, each exception's value and stack, the thread
// stacks, the breadcrumbs, the request's data, the user's data and the
// module list. The largest part is shortened first, down to the size of the
// next largest, then both, and so on (water-filling): a part smaller than
// the level reached is never touched, so one huge value costs only itself,
// and breadcrumbs, context lines, modules and contexts stay whenever the
// event fits with them.
//
// Inside a part the same rule applies: the largest strings of a value are
// shortened first, each keeping its beginning and ending with a marker
// saying how much was cut ("...[1,234,567 bytes cut]"); a container that
// cannot be shortened enough is replaced by a marker ("[1,234 bytes
// cut]"). Stacks lose their middle frames, keeping both ends (and their
// context lines while they fit); breadcrumbs are shortened, then the oldest
// go.
//
// Maps, slices and stacks of the event may be shared with scopes and
// caches: they are replaced by changed copies, never modified.
package trim

import (
	"fmt"
	"maps"

	"github.com/ravenkit/raven/internal/protocol"
)

// maxRounds bounds the passes of measuring and cutting before the last
// resort; one pass is enough unless estimates were short.
const maxRounds = 4

// ToFit shrinks an event whose encoding b exceeds limit bytes and returns
// the new encoding, at most limit bytes. It cuts the largest parts first
// (see the package documentation). It never gives up on an event for its
// size unless even the skeleton (ids, tags, exception types) does not fit.
func ToFit(ev *protocol.Event, b []byte, limit int) ([]byte, error) {
	t := &trimmer{ev: ev}
	var err error
	for round := 0; round < maxRounds && len(b) > limit; round++ {
		need := len(b) - limit + round*256
		fill(t.parts(), need)
		if b, err = ev.MarshalJSON(); err != nil {
			return nil, err
		}
	}
	if len(b) <= limit {
		return b, nil
	}
	// last resort: everything the server can live without
	ev.Modules, ev.Extra, ev.Threads, ev.Contexts, ev.Request, ev.Breadcrumbs = nil, nil, nil, nil, nil, nil
	if b, err = ev.MarshalJSON(); err != nil {
		return nil, err
	}
	if len(b) <= limit {
		return b, nil
	}
	return nil, fmt.Errorf("raven: event of %d bytes does not fit %d even trimmed", len(b), limit)
}

// item is one thing that can be shortened: its encoded size, the smallest
// size it can be brought to, and how to bring it to a target size.
type item struct {
	size, floor int
	shrink      func(target int)
}

// fill shortens the largest items first until need bytes are saved: it
// finds the highest level such that bringing every item above it down to
// the level (or to its floor) saves need, and does so. It returns the
// bytes it expects to have saved, less than need when every item is at its
// floor.
func fill(items []item, need int) int {
	if need <= 0 || len(items) == 0 {
		return 0
	}
	saved := func(level int) int {
		s := 0
		for _, it := range items {
			if c := max(level, it.floor); it.size > c {
				s += it.size - c
			}
		}
		return s
	}
	top := 0
	for _, it := range items {
		top = max(top, it.size)
	}
	level := 0
	if saved(0) >= need {
		lo, hi := 0, top // saved(lo) >= need > saved(hi)
		for hi-lo > 1 {
			mid := lo + (hi-lo)/2
			if saved(mid) >= need {
				lo = mid
			} else {
				hi = mid
			}
		}
		level = lo
	}
	for _, it := range items {
		if c := max(level, it.floor); it.size > c {
			it.shrink(c)
		}
	}
	return saved(level)
}

// trimmer holds one event being trimmed and what of it was already
// replaced by a copy (and may be changed in place from then on).
type trimmer struct {
	ev                                  *protocol.Event
	scratch                             []byte
	extraCopied, ctxCopied, msgCopied   bool
	excCopied, threadsCopied, reqCopied bool
	userCopied                          bool
}

// parts lists the event's parts that can be shortened.
func (t *trimmer) parts() []item {
	ev := t.ev
	var items []item
	for k, v := range ev.Extra {
		items = append(items, t.valueItem(v, func(nv any) {
			if !t.extraCopied {
				ev.Extra, t.extraCopied = maps.Clone(ev.Extra), true
			}
			ev.Extra[k] = nv
		}))
	}
	for k, c := range ev.Contexts {
		items = append(items, t.mapItem(c, func(nc map[string]any) {
			if !t.ctxCopied {
				ev.Contexts, t.ctxCopied = maps.Clone(ev.Contexts), true
			}
			ev.Contexts[k] = nc
		}))
	}
	if ev.Message != nil {
		msg := func() *protocol.LogEntry {
			if !t.msgCopied {
				m := *ev.Message
				ev.Message, t.msgCopied = &m, true
			}
			return ev.Message
		}
		items = append(items,
			stringItem(ev.Message.Formatted, func(s string) { msg().Formatted = s }),
			stringItem(ev.Message.Message, func(s string) { msg().Message = s }))
		if ev.Message.Params != nil {
			items = append(items, t.valueItem(ev.Message.Params, func(v any) { msg().Params = asSlice(v) }))
		}
	}
	if ev.Exception != nil {
		for i := range ev.Exception.Values {
			exc := func() *protocol.Exception {
				if !t.excCopied {
					ev.Exception = &protocol.ExceptionList{Values: append([]protocol.Exception(nil), ev.Exception.Values...)}
					t.excCopied = true
				}
				return &ev.Exception.Values[i]
			}
			x := &ev.Exception.Values[i]
			items = append(items, stringItem(x.Value, func(s string) { exc().Value = s }))
			if x.Stacktrace != nil {
				items = append(items, t.stackItem(x.Stacktrace, func(st *protocol.Stacktrace) { exc().Stacktrace = st }))
			}
		}
	}
	if ev.Threads != nil {
		for i := range ev.Threads.Values {
			if st := ev.Threads.Values[i].Stacktrace; st != nil {
				items = append(items, t.stackItem(st, func(st *protocol.Stacktrace) {
					if !t.threadsCopied {
						ev.Threads = &protocol.ThreadList{Values: append([]protocol.Thread(nil), ev.Threads.Values...)}
						t.threadsCopied = true
					}
					ev.Threads.Values[i].Stacktrace = st
				}))
			}
		}
	}
	if ev.Breadcrumbs != nil && len(ev.Breadcrumbs.Values) > 0 {
		items = append(items, t.crumbsItem())
	}
	if ev.Request != nil && ev.Request.Data != nil {
		items = append(items, t.valueItem(ev.Request.Data, func(v any) {
			if !t.reqCopied {
				r := *ev.Request
				ev.Request, t.reqCopied = &r, true
			}
			ev.Request.Data = v
		}))
	}
	if ev.User != nil && ev.User.Data != nil {
		items = append(items, t.mapItem(ev.User.Data, func(m map[string]any) {
			if !t.userCopied {
				u := *ev.User
				ev.User, t.userCopied = &u, true
			}
			ev.User.Data = m
		}))
	}
	if len(ev.Modules) > 0 {
		items = append(items, item{size: t.valueSize(ev.Modules, 0), shrink: func(int) { ev.Modules = nil }})
	}
	return items
}
