package protocol

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
)

// The event encoder below writes, without reflection, the bytes that
// encoding/json writes for the event model: the same member order (struct
// field order, with the timestamp and then the breadcrumbs last, as the
// former encoding through an embedded struct put them), the same omitempty
// rules, map keys sorted as plain strings, and strings escaped by
// appendJSONString. Values of type any are written by appendValue, which
// hands every type it does not know to encoding/json so that MarshalJSON
// and MarshalText methods are honoured.

// appendJSON appends the event's JSON encoding to buf. On error (a value
// JSON cannot hold, such as NaN or a channel, in user data) it returns nil
// and the error, as json.Marshal would.
func (e *Event) appendJSON(buf []byte) ([]byte, error) {
	var err error
	buf = append(buf, `{"event_id":`...)
	buf = appendJSONString(buf, string(e.EventID))
	buf = appendStringMember(buf, "platform", e.Platform)
	buf = appendStringMember(buf, "level", string(e.Level))
	buf = appendStringMember(buf, "logger", e.Logger)
	buf = appendStringMember(buf, "transaction", e.Transaction)
	buf = appendStringMember(buf, "server_name", e.ServerName)
	buf = appendStringMember(buf, "release", e.Release)
	buf = appendStringMember(buf, "dist", e.Dist)
	buf = appendStringMember(buf, "environment", e.Environment)
	if e.Message != nil {
		buf = appendKey(buf, "logentry")
		if buf, err = e.Message.appendJSON(buf); err != nil {
			return nil, err
		}
	}
	if e.Exception != nil {
		// a nil Values is written [] (the schema wants an array)
		buf = append(buf, `,"exception":{"values":[`...)
		for i := range e.Exception.Values {
			if i > 0 {
				buf = append(buf, ',')
			}
			if buf, err = e.Exception.Values[i].appendJSON(buf); err != nil {
				return nil, err
			}
		}
		buf = append(buf, "]}"...)
	}
	if e.Threads != nil {
		buf = append(buf, `,"threads":{"values":[`...)
		for i := range e.Threads.Values {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = e.Threads.Values[i].appendJSON(buf)
		}
		buf = append(buf, "]}"...)
	}
	if e.User != nil {
		buf = appendKey(buf, "user")
		if buf, err = e.User.appendJSON(buf); err != nil {
			return nil, err
		}
	}
	if e.Request != nil {
		buf = appendKey(buf, "request")
		if buf, err = e.Request.appendJSON(buf); err != nil {
			return nil, err
		}
	}
	if len(e.Contexts) > 0 {
		buf = appendKey(buf, "contexts")
		var scratch [16]member[map[string]any]
		buf = append(buf, '{')
		for i, kv := range sortedMembers(e.Contexts, scratch[:0]) {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendJSONString(buf, kv.k)
			buf = append(buf, ':')
			if buf, err = appendAnyMap(buf, kv.v, 1); err != nil {
				return nil, err
			}
		}
		buf = append(buf, '}')
	}
	if len(e.Tags) > 0 {
		buf = appendKey(buf, "tags")
		buf = appendStringMap(buf, e.Tags)
	}
	if len(e.Extra) > 0 {
		buf = appendKey(buf, "extra")
		if buf, err = appendAnyMap(buf, e.Extra, 0); err != nil {
			return nil, err
		}
	}
	if len(e.Fingerprint) > 0 {
		buf = appendKey(buf, "fingerprint")
		buf = appendStrings(buf, e.Fingerprint)
	}
	if len(e.Modules) > 0 {
		buf = appendKey(buf, "modules")
		buf = appendStringMap(buf, e.Modules)
	}
	if e.SDK != nil {
		buf = appendKey(buf, "sdk")
		buf = e.SDK.appendJSON(buf)
	}
	buf = append(buf, `,"timestamp":"`...)
	buf = appendTime(buf, e.Timestamp)
	buf = append(buf, '"')
	if e.Breadcrumbs != nil {
		// a nil Values is written [] (the schema wants an array)
		buf = append(buf, `,"breadcrumbs":{"values":[`...)
		for i := range e.Breadcrumbs.Values {
			if i > 0 {
				buf = append(buf, ',')
			}
			if buf, err = e.Breadcrumbs.Values[i].appendJSON(buf); err != nil {
				return nil, err
			}
		}
		buf = append(buf, "]}"...)
	}
	return append(buf, '}'), nil
}

// sizeHint guesses the length of the event's encoding from the lengths of
// the strings that make up most of it (breadcrumbs, frames, messages), so
// that MarshalJSON allocates its buffer once in the common case without
// taking much more than it needs.
func (e *Event) sizeHint() int {
	n := 512 + len(e.ServerName) + len(e.Release) + len(e.Environment) + len(e.Transaction) +
		48*len(e.Modules) + 32*len(e.Tags) + 96*len(e.Contexts) + 64*len(e.Extra)
	if e.Message != nil {
		n += 32 + len(e.Message.Message) + len(e.Message.Formatted) + 16*len(e.Message.Params)
	}
	if e.Exception != nil {
		for i := range e.Exception.Values {
			x := &e.Exception.Values[i]
			n += 128 + len(x.Type) + len(x.Value) + len(x.Module) + stackHint(x.Stacktrace)
		}
	}
	if e.Threads != nil {
		for i := range e.Threads.Values {
			n += 64 + stackHint(e.Threads.Values[i].Stacktrace)
		}
	}
	if e.Breadcrumbs != nil {
		for i := range e.Breadcrumbs.Values {
			b := &e.Breadcrumbs.Values[i]
			n += 56 + len(b.Type) + len(b.Category) + len(b.Message) + 64*len(b.Data)
		}
	}
	if e.User != nil {
		n += 128
	}
	if e.Request != nil {
		n += 128 + len(e.Request.URL) + 64*len(e.Request.Headers)
	}
	return n + n/16 // escaping
}

// stackHint guesses the length of a stack's encoding.
func stackHint(st *Stacktrace) int {
	if st == nil {
		return 0
	}
	n := 16
	for i := range st.Frames {
		f := &st.Frames[i]
		n += 64 + len(f.Function) + len(f.Module) + len(f.Filename) + len(f.AbsPath)
		if f.ContextLine != "" || f.PreContext != nil || f.PostContext != nil {
			n += 48 + len(f.ContextLine)
			for _, l := range f.PreContext {
				n += 3 + len(l)
			}
			for _, l := range f.PostContext {
				n += 3 + len(l)
			}
		}
	}
	return n
}

func (m *LogEntry) appendJSON(buf []byte) ([]byte, error) {
	buf = append(buf, '{')
	buf = appendStringMember(buf, "message", m.Message)
	buf = appendStringMember(buf, "formatted", m.Formatted)
	if len(m.Params) > 0 {
		buf = appendKey(buf, "params")
		var err error
		if buf, err = appendAnySlice(buf, m.Params, 0); err != nil {
			return nil, err
		}
	}
	return append(buf, '}'), nil
}

func (x *Exception) appendJSON(buf []byte) ([]byte, error) {
	buf = append(buf, '{')
	buf = appendStringMember(buf, "type", x.Type)
	buf = appendStringMember(buf, "value", x.Value)
	buf = appendStringMember(buf, "module", x.Module)
	if x.ThreadID != nil {
		buf = appendKey(buf, "thread_id")
		buf = strconv.AppendUint(buf, *x.ThreadID, 10)
	}
	if x.Stacktrace != nil {
		buf = appendKey(buf, "stacktrace")
		buf = x.Stacktrace.appendJSON(buf)
	}
	if m := x.Mechanism; m != nil {
		buf = appendKey(buf, "mechanism")
		buf = append(buf, `{"type":`...)
		buf = appendJSONString(buf, m.Type)
		buf = appendStringMember(buf, "description", m.Description)
		buf = appendStringMember(buf, "source", m.Source)
		if m.Handled != nil {
			buf = append(buf, `,"handled":`...)
			buf = strconv.AppendBool(buf, *m.Handled)
		}
		if m.Synthetic {
			buf = append(buf, `,"synthetic":true`...)
		}
		if m.IsExceptionGroup {
			buf = append(buf, `,"is_exception_group":true`...)
		}
		buf = append(buf, `,"exception_id":`...)
		buf = strconv.AppendInt(buf, int64(m.ExceptionID), 10)
		if m.ParentID != nil {
			buf = append(buf, `,"parent_id":`...)
			buf = strconv.AppendInt(buf, int64(*m.ParentID), 10)
		}
		if len(m.Data) > 0 {
			buf = append(buf, `,"data":`...)
			var err error
			if buf, err = appendAnyMap(buf, m.Data, 0); err != nil {
				return nil, err
			}
		}
		buf = append(buf, '}')
	}
	return append(buf, '}'), nil
}

func (t *Thread) appendJSON(buf []byte) []byte {
	buf = append(buf, `{"id":`...)
	buf = strconv.AppendUint(buf, t.ID, 10)
	buf = appendStringMember(buf, "name", t.Name)
	buf = appendStringMember(buf, "state", t.State)
	if t.Crashed {
		buf = append(buf, `,"crashed":true`...)
	}
	if t.Current {
		buf = append(buf, `,"current":true`...)
	}
	if t.Main {
		buf = append(buf, `,"main":true`...)
	}
	if t.Stacktrace != nil {
		buf = append(buf, `,"stacktrace":`...)
		buf = t.Stacktrace.appendJSON(buf)
	}
	return append(buf, '}')
}

func (u *User) appendJSON(buf []byte) ([]byte, error) {
	buf = append(buf, '{')
	buf = appendStringMember(buf, "id", u.ID)
	buf = appendStringMember(buf, "username", u.Username)
	buf = appendStringMember(buf, "email", u.Email)
	buf = appendStringMember(buf, "ip_address", u.IPAddress)
	buf = appendStringMember(buf, "name", u.Name)
	buf = appendStringMember(buf, "segment", u.Segment)
	if len(u.Data) > 0 {
		buf = appendKey(buf, "data")
		var err error
		if buf, err = appendAnyMap(buf, u.Data, 0); err != nil {
			return nil, err
		}
	}
	return append(buf, '}'), nil
}

func (r *Request) appendJSON(buf []byte) ([]byte, error) {
	buf = append(buf, '{')
	buf = appendStringMember(buf, "method", r.Method)
	buf = appendStringMember(buf, "url", r.URL)
	buf = appendStringMember(buf, "query_string", r.QueryString)
	buf = appendStringMember(buf, "fragment", r.Fragment)
	if len(r.Cookies) > 0 {
		buf = appendKey(buf, "cookies")
		buf = appendStringMap(buf, r.Cookies)
	}
	if len(r.Headers) > 0 {
		buf = appendKey(buf, "headers")
		buf = appendStringMap(buf, r.Headers)
	}
	if len(r.Env) > 0 {
		buf = appendKey(buf, "env")
		buf = appendStringMap(buf, r.Env)
	}
	if r.Data != nil {
		buf = appendKey(buf, "data")
		var err error
		if buf, err = appendValue(buf, r.Data, 0); err != nil {
			return nil, err
		}
	}
	return append(buf, '}'), nil
}

func (s *SDKInfo) appendJSON(buf []byte) []byte {
	buf = append(buf, `{"name":`...)
	buf = appendJSONString(buf, s.Name)
	buf = append(buf, `,"version":`...)
	buf = appendJSONString(buf, s.Version)
	if len(s.Integrations) > 0 {
		buf = append(buf, `,"integrations":`...)
		buf = appendStrings(buf, s.Integrations)
	}
	if len(s.Packages) > 0 {
		buf = append(buf, `,"packages":[`...)
		for i, p := range s.Packages {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, `{"name":`...)
			buf = appendJSONString(buf, p.Name)
			buf = append(buf, `,"version":`...)
			buf = appendJSONString(buf, p.Version)
			buf = append(buf, '}')
		}
		buf = append(buf, ']')
	}
	return append(buf, '}')
}

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
