// Package uservalue turns whatever a program hands the SDK as a value (extra,
// contexts, user data, breadcrumb data, request data, message parameters)
// into plain JSON data: map[string]any, []any, string, bool, int64,
// float64, json.Number and nil. Everything after it (the scrubber, the
// size budget, the encoder, the crash reporter's scope file) then walks
// only plain, acyclic, bounded data.
//
// The walk is bounded in every direction, so that no value, however
// hostile, can crash, hang or slow the process:
//
//   - depth: containers (maps, slices, arrays, structs) nested more than
//     MaxDepth levels below the field they are set in become the
//     placeholder "[depth limit]";
//   - breadth: a container keeps its first MaxBreadth members (for a
//     map, whichever the map's iteration yields first), and one more
//     member says how many were left out;
//   - size: one walk writes at most MaxNodes values and MaxEventBytes
//     bytes of strings; what comes after becomes "[size limit]"; strings
//     are cut to 8 KiB;
//   - cycles: a map, slice or pointer met again inside itself becomes
//     "[cycle]" (a value shared by two branches is not a cycle and is
//     written twice, within the size bound);
//   - user code: MarshalJSON, MarshalText and Error run with panics
//     recovered, and the output of MarshalJSON is decoded and walked like
//     any other value, so a method that panics, fails or writes invalid
//     JSON costs that one value, replaced by a placeholder naming its type.
//
// The bounds follow the spec's advice to trim deep and large values
// before sending (https://develop.sentry.dev/sdk/foundations/data-scrubbing/,
// "Variable Size"); other SDKs also stop at about ten levels.
//
// Structs are walked field by field following encoding/json's rules for
// names (the json tag's name, "-" to skip, omitempty, embedded structs
// inlined), so their fields become keys the scrubber sees. Channels,
// functions and unsafe pointers become "[unsupported: TYPE]"; NaN and
// infinities become the strings "NaN", "+Inf" and "-Inf"; []byte becomes
// base64 text as encoding/json writes it. fmt is never used on a
// container: it follows cycles until the stack overflows.
package uservalue

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"time"
	"unicode/utf8"

	"github.com/ravenkit/raven/internal/protocol"
)

// Bounds of the walk over user values (see Scope.SetExtra and friends).
const (
	// MaxDepth is how many levels of maps, slices, arrays and structs
	// a user value keeps below the field it is set in (an extra, a
	// context member, a breadcrumb's data member, ...); deeper containers
	// are replaced by the string "[depth limit]".
	MaxDepth = 10
	// MaxBreadth is how many members of one map or struct, or
	// elements of one slice or array, are kept; the rest are replaced by
	// one member (key "[truncated]") or element saying how many were left
	// out.
	MaxBreadth = 1000
	// MaxNodes bounds how many values one walk writes (one event's
	// extra, one context, one breadcrumb's data, ...); values past the
	// bound are replaced by the string "[size limit]".
	MaxNodes = 20000
	// MaxMarshaledBytes bounds the output of a value's MarshalJSON method
	// that is kept; a larger output is replaced by a placeholder.
	MaxMarshaledBytes = 256 << 10
)

// Placeholders written in place of what the walk cuts.
const (
	PlaceholderCycle     = "[cycle]"
	PlaceholderDepth     = "[depth limit]"
	PlaceholderSize      = "[size limit]"
	PlaceholderTruncated = "[truncated]"
	// maxIndirections bounds a chain of pointers and interfaces between
	// two containers (a recursive pointer type can make it endless).
	maxIndirections = 16
)

// Walker holds the state of one walk: the budget left and the
// containers on the path from the root to the value being walked.
type Walker struct {
	nodes int // values left to write
	bytes int // bytes of strings left to write
	path  []visit
	// cuts counts the placeholders written.
	cuts int
	// callMethods allows MarshalJSON, MarshalText and Error to run. It is
	// false where user code must not run (the crash reporter's scope
	// file, written under a lock Close waits for): such values become a
	// placeholder naming their type.
	callMethods bool
}

// visit identifies a container on the path: its address and type (a
// struct and its first field share an address, not a type).
type visit struct {
	ptr uintptr
	typ reflect.Type
	n   int
}

// NewWalker returns a walker with a fresh budget.
func NewWalker(callMethods bool) *Walker {
	return &Walker{nodes: MaxNodes, bytes: protocol.MaxEventBytes, callMethods: callMethods}
}

// PlainValue returns v as plain JSON data, bounded as described above.
// It never panics and never modifies v.
func PlainValue(v any) any { return NewWalker(true).Value(v, 0) }

// PlainMap returns m's values as plain JSON data in a new map (nil for
// nil).
func (w *Walker) PlainMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	if w.alreadyPlain(m) {
		return m // nothing to change: shared, never modified
	}
	out, _ := w.stringMap(m, 0).(map[string]any)
	return out
}

// alreadyPlain reports whether every member of m is a scalar the walk
// would keep as it is (valid, short strings; bools; int64; finite
// float64; nil), charging the walk's budget as the walk would. Most maps
// users set (tags-like extra, breadcrumb data, the SDK's own contexts)
// are, and are then not copied.
func (w *Walker) alreadyPlain(m map[string]any) bool {
	if len(m) > MaxBreadth || len(m) >= w.nodes {
		return false
	}
	size := 0
	for k, v := range m {
		if !plainString(k) {
			return false
		}
		size += len(k)
		switch x := v.(type) {
		case nil, bool, int64:
		case string:
			if !plainString(x) {
				return false
			}
			size += len(x)
		case float64:
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return false
			}
		default:
			return false
		}
	}
	if size > w.bytes {
		return false
	}
	w.nodes -= len(m)
	w.bytes -= size
	return true
}

// plainString reports whether the walk keeps s as it is.
func plainString(s string) bool {
	return len(s) <= protocol.MaxValueBytes && utf8.ValidString(s)
}

// Value walks v found at depth (the number of containers above it).
func (w *Walker) Value(v any, depth int) any {
	if w.nodes <= 0 {
		return w.cut(PlaceholderSize)
	}
	w.nodes--
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		return w.str(x)
	case bool:
		return x
	case int:
		return int64(x)
	case int64:
		return x
	case int32:
		return int64(x)
	case float64:
		return plainFloat(x, 64)
	case json.Number:
		if protocol.IsJSONNumber(string(x)) {
			return x
		}
		return w.str(string(x))
	case time.Time:
		// encoding/json's form, without calling user code
		return x.Format(time.RFC3339Nano)
	case map[string]any:
		return w.stringMap(x, depth)
	case []any:
		if x == nil {
			return nil
		}
		if depth >= MaxDepth {
			return w.cut(PlaceholderDepth)
		}
		if len(x) > 0 {
			if w.onPath(reflect.ValueOf(x).Pointer(), anySliceType, len(x)) {
				return w.cut(PlaceholderCycle)
			}
			w.push(reflect.ValueOf(x).Pointer(), anySliceType, len(x))
			defer w.pop()
		}
		n := min(len(x), MaxBreadth)
		out := make([]any, 0, n+1)
		for _, e := range x[:n] {
			out = append(out, w.Value(e, depth+1))
		}
		if len(x) > n {
			out = append(out, w.cut(fmt.Sprintf("[%d more items]", len(x)-n)))
		}
		return out
	}
	return w.reflectValue(reflect.ValueOf(v), depth, 0)
}

var (
	anySliceType = reflect.TypeFor[[]any]()
	anyMapType   = reflect.TypeFor[map[string]any]()
)

// stringMap walks the common map[string]any without reflection.
func (w *Walker) stringMap(m map[string]any, depth int) any {
	if m == nil {
		return nil
	}
	if depth >= MaxDepth {
		return w.cut(PlaceholderDepth)
	}
	p := reflect.ValueOf(m).Pointer()
	if w.onPath(p, anyMapType, 0) {
		return w.cut(PlaceholderCycle)
	}
	w.push(p, anyMapType, 0)
	defer w.pop()
	out := make(map[string]any, min(len(m), MaxBreadth+1))
	kept := 0
	// Scalars first, then containers: a huge member that uses up the
	// walk's budget then costs only itself, whatever the map's order.
	for _, scalars := range [2]bool{true, false} {
		for k, v := range m {
			if isScalar(v) != scalars {
				continue
			}
			if kept == MaxBreadth {
				out[PlaceholderTruncated] = w.cut(fmt.Sprintf("%d more keys", len(m)-kept))
				return out
			}
			out[w.str(k)] = w.Value(v, depth+1)
			kept++
		}
	}
	return out
}

// isScalar reports whether v is a string, a number, a boolean or nil.
func isScalar(v any) bool {
	switch v.(type) {
	case nil, string, bool, int, int64, float64, json.Number:
		return true
	}
	return false
}

func (w *Walker) onPath(p uintptr, t reflect.Type, n int) bool {
	for _, v := range w.path {
		if v.ptr == p && v.typ == t && v.n == n {
			return true
		}
	}
	return false
}

func (w *Walker) push(p uintptr, t reflect.Type, n int) {
	w.path = append(w.path, visit{p, t, n})
}

func (w *Walker) pop() { w.path = w.path[:len(w.path)-1] }

// cut counts a placeholder and returns it.
func (w *Walker) cut(placeholder string) string {
	w.cuts++
	return placeholder
}

// marshaled runs a value's MarshalJSON and walks what it wrote.
func (w *Walker) marshaled(m json.Marshaler, t reflect.Type, depth int) (out any) {
	defer func() {
		if r := recover(); r != nil {
			out = w.cut(protocol.Clamp("["+t.String()+": MarshalJSON panicked: "+panicText(r)+"]", 256))
		}
	}()
	b, err := m.MarshalJSON()
	if err != nil {
		return w.cut(protocol.Clamp("["+t.String()+": MarshalJSON failed: "+errorString(err)+"]", 256))
	}
	if len(b) > MaxMarshaledBytes {
		return w.cut("[" + t.String() + ": MarshalJSON output over the size limit]")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil || dec.More() {
		return w.cut("[" + t.String() + ": MarshalJSON wrote invalid JSON]")
	}
	w.nodes++ // the value itself was counted by the caller
	return w.Value(x, depth)
}

// text runs a value's MarshalText.
func (w *Walker) text(m encoding.TextMarshaler, t reflect.Type) (out any) {
	defer func() {
		if r := recover(); r != nil {
			out = w.cut(protocol.Clamp("["+t.String()+": MarshalText panicked: "+panicText(r)+"]", 256))
		}
	}()
	b, err := m.MarshalText()
	if err != nil {
		return w.cut(protocol.Clamp("["+t.String()+": MarshalText failed: "+errorString(err)+"]", 256))
	}
	return w.str(string(b))
}

// str returns s cut to 8 KiB and to the bytes left to write, or
// "[size limit]" when none are left.
func (w *Walker) str(s string) string {
	if w.bytes <= 0 && s != "" {
		return w.cut(PlaceholderSize)
	}
	s = protocol.Clamp(s, min(protocol.MaxValueBytes, max(w.bytes, 1)))
	w.bytes -= len(s)
	return s
}

// panicText describes a recovered panic value without fmt on containers.
func panicText(r any) string {
	switch x := r.(type) {
	case string:
		return x
	case error:
		return errorString(x)
	}
	return reflect.TypeOf(r).String()
}

// plainFloat returns f, or the name of a value JSON cannot hold. float32
// values are kept in their 32-bit shortest form, as encoding/json writes
// them.
func plainFloat(f float64, bits int) any {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "+Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	}
	if bits == 32 {
		b, _ := protocol.AppendFloat(nil, f, 32)
		return json.Number(b)
	}
	return f
}

// Describe returns a short text for a panic value: strings as they
// are, errors and Stringers by their method (panics recovered), flat
// values (scalars, and structs and arrays of them) with fmt, and anything
// holding maps, slices or pointers as the JSON of its plain form, so that
// a cyclic value never reaches fmt.
func Describe(v any) (s string) {
	switch x := v.(type) {
	case nil:
		return "<nil>"
	case string:
		return x
	case error:
		return errorString(x)
	case fmt.Stringer:
		defer func() {
			if r := recover(); r != nil {
				s = "<" + reflect.TypeOf(v).String() + ": String() panicked>"
			}
		}()
		return x.String()
	}
	if flatType(reflect.TypeOf(v), 0) {
		return fmt.Sprint(v)
	}
	b, err := json.Marshal(PlainValue(v))
	if err != nil {
		return "<" + reflect.TypeOf(v).String() + ">"
	}
	return string(b)
}

// flatType reports whether values of t hold no map, slice, pointer,
// interface, channel or function, so fmt prints them without following
// references.
func flatType(t reflect.Type, level int) bool {
	if level > MaxDepth {
		return false
	}
	switch t.Kind() {
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			if !flatType(t.Field(i).Type, level+1) {
				return false
			}
		}
		return true
	case reflect.Array:
		return flatType(t.Elem(), level+1)
	case reflect.Map, reflect.Slice, reflect.Pointer, reflect.Interface, reflect.Chan, reflect.Func, reflect.UnsafePointer:
		return false
	}
	return true
}

// errorString calls err.Error, turning a panic into a description.
func errorString(err error) (s string) {
	defer func() {
		if r := recover(); r != nil {
			s = "<" + reflect.TypeOf(err).String() + ": Error() panicked>"
		}
	}()
	return err.Error()
}

func isString(v any) bool {
	_, ok := v.(string)
	return ok
}
