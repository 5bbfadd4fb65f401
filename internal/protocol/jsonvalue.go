package protocol

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
)

// The JSON pieces the event encoder (eventjson.go) is built from: keys,
// strings, sorted maps, and values of type any.

// appendKey appends `"key":`, after a comma unless the object being
// written has no member yet (its last byte is the opening brace: no value
// ends with one). key must need no escaping.
func appendKey(buf []byte, key string) []byte {
	if len(buf) > 0 && buf[len(buf)-1] != '{' {
		buf = append(buf, ',')
	}
	buf = append(buf, '"')
	buf = append(buf, key...)
	return append(buf, '"', ':')
}

// appendStringMember appends the member key: v unless v is empty
// (omitempty).
func appendStringMember(buf []byte, key, v string) []byte {
	if v == "" {
		return buf
	}
	return appendJSONString(appendKey(buf, key), v)
}

// appendStrings appends a non-nil string slice as a JSON array.
func appendStrings(buf []byte, v []string) []byte {
	buf = append(buf, '[')
	for i, s := range v {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendJSONString(buf, s)
	}
	return append(buf, ']')
}

// member is one key and value of a map being written.
type member[V any] struct {
	k string
	v V
}

// sortedMembers returns the members of m in the order encoding/json
// writes them (keys compared as plain strings), appended to scratch.
func sortedMembers[V any](m map[string]V, scratch []member[V]) []member[V] {
	for k, v := range m {
		scratch = append(scratch, member[V]{k, v})
	}
	if len(scratch) <= 12 {
		for i := 1; i < len(scratch); i++ { // insertion sort, as slices.SortFunc does for short slices
			for j := i; j > 0 && scratch[j].k < scratch[j-1].k; j-- {
				scratch[j], scratch[j-1] = scratch[j-1], scratch[j]
			}
		}
		return scratch
	}
	slices.SortFunc(scratch, func(a, b member[V]) int { return strings.Compare(a.k, b.k) })
	return scratch
}

// appendStringMap appends a non-nil map as a JSON object.
func appendStringMap(buf []byte, m map[string]string) []byte {
	var scratch [32]member[string]
	buf = append(buf, '{')
	for i, kv := range sortedMembers(m, scratch[:0]) {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendJSONString(buf, kv.k)
		buf = append(buf, ':')
		buf = appendJSONString(buf, kv.v)
	}
	return append(buf, '}')
}

// maxValueDepth is how deeply appendValue nests maps and slices before it
// hands the rest to encoding/json, which detects cycles.
const maxValueDepth = 64

// appendAnyMap appends m as a JSON object ("null" when nil). depth is the
// nesting level of m in the value being written.
func appendAnyMap(buf []byte, m map[string]any, depth int) ([]byte, error) {
	if m == nil {
		return append(buf, "null"...), nil
	}
	if depth >= maxValueDepth {
		return appendMarshal(buf, m)
	}
	var scratch [16]member[any]
	var err error
	buf = append(buf, '{')
	for i, kv := range sortedMembers(m, scratch[:0]) {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendJSONString(buf, kv.k)
		buf = append(buf, ':')
		if buf, err = appendValue(buf, kv.v, depth+1); err != nil {
			return nil, err
		}
	}
	return append(buf, '}'), nil
}

// appendAnySlice appends s as a JSON array ("null" when nil).
func appendAnySlice(buf []byte, s []any, depth int) ([]byte, error) {
	if s == nil {
		return append(buf, "null"...), nil
	}
	if depth >= maxValueDepth {
		return appendMarshal(buf, s)
	}
	var err error
	buf = append(buf, '[')
	for i, v := range s {
		if i > 0 {
			buf = append(buf, ',')
		}
		if buf, err = appendValue(buf, v, depth+1); err != nil {
			return nil, err
		}
	}
	return append(buf, ']'), nil
}

// appendValue appends v as encoding/json would write it. The common types
// of user data are written here; any other type, including every named
// type (which may have a MarshalJSON or MarshalText method), goes to
// encoding/json.
func appendValue(buf []byte, v any, depth int) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(buf, "null"...), nil
	case string:
		return appendJSONString(buf, v), nil
	case bool:
		return strconv.AppendBool(buf, v), nil
	case int:
		return strconv.AppendInt(buf, int64(v), 10), nil
	case int8:
		return strconv.AppendInt(buf, int64(v), 10), nil
	case int16:
		return strconv.AppendInt(buf, int64(v), 10), nil
	case int32:
		return strconv.AppendInt(buf, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(buf, v, 10), nil
	case uint:
		return strconv.AppendUint(buf, uint64(v), 10), nil
	case uint8:
		return strconv.AppendUint(buf, uint64(v), 10), nil
	case uint16:
		return strconv.AppendUint(buf, uint64(v), 10), nil
	case uint32:
		return strconv.AppendUint(buf, uint64(v), 10), nil
	case uint64:
		return strconv.AppendUint(buf, v, 10), nil
	case uintptr:
		return strconv.AppendUint(buf, uint64(v), 10), nil
	case float64:
		return AppendFloat(buf, v, 64)
	case float32:
		return AppendFloat(buf, float64(v), 32)
	case map[string]any:
		return appendAnyMap(buf, v, depth)
	case []any:
		return appendAnySlice(buf, v, depth)
	case []string:
		if v == nil {
			return append(buf, "null"...), nil
		}
		return appendStrings(buf, v), nil
	case map[string]string:
		if v == nil {
			return append(buf, "null"...), nil
		}
		return appendStringMap(buf, v), nil
	case json.Number:
		// the walk over user values writes numbers of MarshalJSON output
		// and large unsigned integers this way
		if v == "" {
			return append(buf, '0'), nil
		}
		if IsJSONNumber(string(v)) {
			return append(buf, v...), nil
		}
	case json.RawMessage:
		if v == nil {
			return append(buf, "null"...), nil
		}
		if plainJSON(v) {
			return append(buf, v...), nil
		}
	}
	return appendMarshal(buf, v)
}

// appendMarshal appends v as encoded by encoding/json.
func appendMarshal(buf []byte, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(buf, b...), nil
}

// plainJSON reports whether raw is valid JSON that encoding/json would
// copy unchanged: no whitespace to compact away and nothing to escape for
// HTML (<, >, &, U+2028, U+2029; the lead byte 0xE2 is refused outright).
func plainJSON(raw []byte) bool {
	for _, c := range raw {
		switch c {
		case ' ', '\t', '\n', '\r', '<', '>', '&', 0xe2:
			return false
		}
	}
	return json.Valid(raw)
}

// appendFloat appends f as encoding/json writes a float of the given bit
// size: like strconv's shortest form, with an exponent only below 1e-6 or
// from 1e21, and no padding of the exponent. NaN and infinities are an
// error, as for encoding/json.
func AppendFloat(buf []byte, f float64, bits int) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, &json.UnsupportedValueError{Str: strconv.FormatFloat(f, 'g', -1, bits)}
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	buf = strconv.AppendFloat(buf, f, format, -1, bits)
	if format == 'e' {
		// e-09 becomes e-9
		n := len(buf)
		if n >= 4 && buf[n-4] == 'e' && buf[n-3] == '-' && buf[n-2] == '0' {
			buf[n-2] = buf[n-1]
			buf = buf[:n-1]
		}
	}
	return buf, nil
}

// IsJSONNumber reports whether s is a number in JSON's grammar.
func IsJSONNumber(s string) bool {
	return s != "" && (s[0] == '-' || (s[0] >= '0' && s[0] <= '9')) && strings.TrimSpace(s) == s && json.Valid([]byte(s))
}
