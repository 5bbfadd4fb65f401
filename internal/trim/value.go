package trim

import (
	"maps"
	"slices"
	"strings"

	"github.com/ravenkit/raven/internal/protocol"
)

// maxDepth bounds the walk into user values; deeper containers are
// measured as a whole and can only be replaced by a marker. (The encoder
// has already written the event, so the value is finite and acyclic.)
const maxDepth = 64

// cutKey is the member a map cut down to a marker keeps, where the
// protocol wants an object (a context, user data, breadcrumb data).
const cutKey = "[cut]"

// cutMarker is what ends a string shortened by n bytes.
func cutMarker(n int) string { return protocol.CutMarker(n) }

// wholeMarker replaces a container of n encoded bytes.
func wholeMarker(n int) string { return strings.TrimPrefix(protocol.CutMarker(n), "...") }

// stringFloor is the smallest encoded size s can be cut to: the marker
// alone.
func stringFloor(s string, size int) int {
	return min(size, 2+len(cutMarker(len(s))))
}

// cutString returns s cut to encode in at most target bytes, its
// beginning kept and a marker saying how many bytes were cut appended
// (the marker alone when target is below the floor). A string cut before
// (at capture) has its marker replaced by one counting both cuts.
func cutString(s string, target int) string {
	s, before := protocol.SplitCutMarker(s)
	mark := len(cutMarker(len(s) + before))
	n := protocol.FitPrefix(s, target-mark)
	return s[:n] + cutMarker(len(s)-n+before)
}

// stringItem is a string part: set receives the shortened string.
func stringItem(s string, set func(string)) item {
	size := protocol.JSONStringSize(s)
	if s == "" {
		size = 0
	}
	return item{size: size, floor: stringFloor(s, size), shrink: func(target int) { set(cutString(s, target)) }}
}

// valueSize returns the encoded size of a plain JSON value.
func (t *trimmer) valueSize(v any, depth int) int {
	switch x := v.(type) {
	case string:
		return protocol.JSONStringSize(x)
	case map[string]any:
		if x == nil || depth >= maxDepth {
			break
		}
		n := 1 + len(x) // braces and the separators between members
		if len(x) == 0 {
			n = 2
		}
		for k, e := range x {
			n += protocol.JSONStringSize(k) + 1 + t.valueSize(e, depth+1)
		}
		return n
	case []any:
		if x == nil || depth >= maxDepth {
			break
		}
		n := 1 + len(x)
		if len(x) == 0 {
			n = 2
		}
		for _, e := range x {
			n += t.valueSize(e, depth+1)
		}
		return n
	}
	var err error
	if t.scratch, err = protocol.AppendValue(t.scratch[:0], v); err != nil {
		return 0
	}
	return len(t.scratch)
}

// valueFloor is the smallest encoded size v of size bytes can be brought
// to: a string to its marker, a container to a marker replacing it, a
// number or a boolean not at all.
func valueFloor(v any, size int) int {
	switch x := v.(type) {
	case string:
		return stringFloor(x, size)
	case map[string]any, []any:
		return min(size, 2+len(wholeMarker(size)))
	}
	return size
}

// valueItem is a part holding a plain value; set receives the shortened
// value.
func (t *trimmer) valueItem(v any, set func(any)) item {
	size := t.valueSize(v, 0)
	return item{size: size, floor: valueFloor(v, size), shrink: func(target int) { set(t.shrinkValue(v, size, target, 0)) }}
}

// mapItem is a part holding a map the protocol wants an object for.
func (t *trimmer) mapItem(m map[string]any, set func(map[string]any)) item {
	size := t.valueSize(m, 0)
	floor := min(size, len(`{"`+cutKey+`":""}`)+len(wholeMarker(size)))
	return item{size: size, floor: floor, shrink: func(target int) {
		set(asMap(t.shrinkValue(m, size, target-len(`{"`+cutKey+`":}`), 0)))
	}}
}

// asMap returns v as a map: a marker that replaced one is kept under
// cutKey.
func asMap(v any) map[string]any {
	if m, ok := v.(map[string]any); ok {
		return m
	}
	return map[string]any{cutKey: v}
}

// asSlice returns v as a slice: a marker that replaced one becomes its
// only element.
func asSlice(v any) []any {
	if s, ok := v.([]any); ok {
		return s
	}
	return []any{v}
}

// shrinkValue returns v, of size encoded bytes, brought to at most about
// target bytes: its largest strings shortened first, a container that
// cannot be made small enough replaced by a marker. v is not modified.
func (t *trimmer) shrinkValue(v any, size, target, depth int) any {
	if size <= target {
		return v
	}
	switch x := v.(type) {
	case string:
		return cutString(x, target)
	case map[string]any:
		out := maps.Clone(x)
		if depth < maxDepth && t.shrinkMembers(size-target, depth, func(add func(any, func(any))) {
			for k, e := range x {
				add(e, func(v any) { out[k] = v })
			}
		}) {
			return out
		}
		return wholeMarker(size)
	case []any:
		out := slices.Clone(x)
		if depth < maxDepth && t.shrinkMembers(size-target, depth, func(add func(any, func(any))) {
			for i, e := range x {
				add(e, func(v any) { out[i] = v })
			}
		}) {
			return out
		}
		return wholeMarker(size)
	}
	return v // a number, a boolean or null: nothing to cut
}

// shrinkMembers saves need bytes from the members of a container at depth,
// the largest first; members lists each member's value and a setter for
// its shortened value. It reports whether need could be saved.
func (t *trimmer) shrinkMembers(need, depth int, members func(add func(e any, set func(any)))) bool {
	var items []item
	members(func(e any, set func(any)) {
		es := t.valueSize(e, depth+1)
		items = append(items, item{size: es, floor: valueFloor(e, es), shrink: func(c int) {
			set(t.shrinkValue(e, es, c, depth+1))
		}})
	})
	spare := 0
	for _, it := range items {
		spare += it.size - it.floor
	}
	return spare >= need && fill(items, need) >= need
}
