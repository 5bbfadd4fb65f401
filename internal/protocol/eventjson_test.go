package protocol

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAppendJSONStringMatchesEncodingJSON checks the string escaping used
// by every hand-written encoder against encoding/json, byte for byte.
func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	cases := []string{
		"", "plain", `quote " backslash \ slash /`, "<script>&amp;</script>",
		"\b\f\n\r\t\x00\x01\x1f\x7f", "line\u2028para\u2029", "ünïcødé ✓ 日本語 🙂",
		"bad \xff\xfe utf-8 \xc3", "\xe2\x80", "\xed\xa0\x80 surrogate", "\uFFFD real replacement char",
		strings.Repeat("long <&> \u2028 é ", 10000),
	}
	for c := 0; c < 256; c++ {
		cases = append(cases, string([]byte{byte(c)}), "a"+string([]byte{byte(c)})+"z")
		for at := 0; at < 17; at++ { // at every place of the 8-byte words
			b := []byte(strings.Repeat("abcdefgh", 3))
			b[at] = byte(c)
			cases = append(cases, string(b), string(b[:at+1]))
		}
	}
	for _, r := range []string{"é", " ", " ", "🙂", "â\u0080", "â\u0080¨"} {
		for at := 0; at < 17; at++ { // runes across word boundaries
			cases = append(cases, strings.Repeat("x", at)+r+strings.Repeat("y", 17-at))
		}
	}
	for r := rune(0x80); r < 0x3000; r++ {
		cases = append(cases, string(r))
	}
	cases = append(cases, string(utf8.MaxRune), string(rune(0x10000)))
	for _, s := range cases {
		want, err := json.Marshal(s)
		require.NoError(t, err)
		if got := appendJSONString([]byte("x"), s); !assert.Equal(t, "x"+string(want), string(got), "%q", s) {
			return
		}
	}
}

// TestAppendTimeMatchesFormat checks the hand-written timestamp layout
// against time.Time.Format.
func TestAppendTimeMatchesFormat(t *testing.T) {
	times := []time.Time{
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(-1, 6, 1, 0, 0, 0, 0, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 6007008, time.FixedZone("x", -7*3600)),
	}
	for i := int64(0); i < 5000; i++ {
		// spread over years 0 to 9999, every second and microsecond digit
		sec := (i*7919*86413 + i*i*104729) % (10000 * 365 * 86400)
		times = append(times, time.Unix(sec-62167219200, i*1000003%1e9))
	}
	for _, ts := range times {
		want := ts.UTC().Format(timeLayout)
		if got := string(appendTime([]byte("x"), ts)); !assert.Equal(t, "x"+want, got) {
			return
		}
	}
}

// referenceMarshal is how Event.MarshalJSON encoded events before
// appendJSON: encoding/json over the struct (through the custom
// marshalers of the model) with the timestamp as a string field of an
// embedding struct, then the breadcrumbs appended by hand with their data
// through encoding/json. The new encoder must write the same bytes.
func referenceMarshal(e *Event) ([]byte, error) {
	type plain Event
	cp := *e
	crumbs := cp.Breadcrumbs
	cp.Breadcrumbs = nil
	// lists without values are written [], as breadcrumbs always were
	if cp.Exception != nil && cp.Exception.Values == nil {
		cp.Exception = &ExceptionList{Values: []Exception{}}
	}
	if cp.Threads != nil && cp.Threads.Values == nil {
		cp.Threads = &ThreadList{Values: []Thread{}}
	}
	b, err := json.Marshal(&struct {
		*plain
		Timestamp string `json:"timestamp"`
	}{plain: (*plain)(&cp), Timestamp: FormatTime(e.Timestamp)})
	if err != nil || crumbs == nil {
		return b, err
	}
	b = append(b[:len(b)-1], `,"breadcrumbs":{"values":[`...)
	for i := range crumbs.Values {
		if i > 0 {
			b = append(b, ',')
		}
		if b, err = referenceBreadcrumb(b, &crumbs.Values[i]); err != nil {
			return nil, err
		}
	}
	return append(b, "]}}"...), nil
}

// referenceBreadcrumb is the former Breadcrumb.appendJSON.
func referenceBreadcrumb(buf []byte, b *Breadcrumb) ([]byte, error) {
	buf = append(buf, `{"timestamp":"`...)
	buf = appendTime(buf, b.Timestamp)
	buf = append(buf, '"')
	for _, f := range [...]struct{ k, v string }{{"type", b.Type}, {"category", b.Category}, {"message", b.Message}, {"level", string(b.Level)}} {
		if f.v != "" {
			buf = append(buf, ',', '"')
			buf = append(buf, f.k...)
			buf = append(buf, '"', ':')
			buf = appendJSONString(buf, f.v)
		}
	}
	if len(b.Data) > 0 {
		d, err := json.Marshal(b.Data)
		if err != nil {
			return nil, err
		}
		buf = append(buf, `,"data":`...)
		buf = append(buf, d...)
	}
	return append(buf, '}'), nil
}

// referenceStacktrace encodes st by reflection alone, without the
// hand-written frame encoder.
func referenceStacktrace(st *Stacktrace) ([]byte, error) {
	type plainFrame Frame // no methods
	frames := make([]plainFrame, len(st.Frames))
	for i, f := range st.Frames {
		frames[i] = plainFrame(f)
	}
	return json.Marshal(struct {
		Frames []plainFrame `json:"frames"`
	}{frames})
}

// assertSameJSON checks that appendJSON writes what referenceMarshal
// writes, or fails when it fails.
func assertSameJSON(t testing.TB, ev *Event) []byte {
	t.Helper()
	want, wantErr := referenceMarshal(ev)
	got, err := ev.MarshalJSON()
	if wantErr != nil {
		require.Error(t, err, "reference failed with %v", wantErr)
		assert.Nil(t, got)
		return nil
	}
	require.NoError(t, err)
	require.Equal(t, string(want), string(got))
	require.True(t, json.Valid(got), "%s", got)
	// appended after existing bytes, as a reused buffer would be
	pre, err := ev.appendJSON([]byte("prefix"))
	require.NoError(t, err)
	require.Equal(t, "prefix"+string(want), string(pre))
	return got
}

type jsonMarshalerValue struct{ n int }

func (v jsonMarshalerValue) MarshalJSON() ([]byte, error) {
	return []byte(fmt.Sprintf(` { "n" : %d, "html": "<&>" } `, v.n)), nil
}

type ptrMarshaler struct{ s string }

func (v *ptrMarshaler) MarshalJSON() ([]byte, error) { return []byte(`"ptr:` + v.s + `"`), nil }

type textMarshalerValue struct{ s string }

func (v textMarshalerValue) MarshalText() ([]byte, error) { return []byte("text:" + v.s + "<"), nil }

type badJSON struct{}

func (badJSON) MarshalJSON() ([]byte, error) { return []byte(`{"unterminated"`), nil }

type failingJSON struct{}

func (failingJSON) MarshalJSON() ([]byte, error) { return nil, errors.New("cannot encode") }

type plainStruct struct {
	A string `json:"a"`
	B int    `json:"b,omitempty"`
	c bool   //lint:ignore U1000 an unexported field, which the walker skips
	F float64
}

// namedMap and namedString are user types of the kinds appendValue knows,
// but named, so they take the encoding/json path.
type (
	namedMap    map[string]any
	namedString string
)

var (
	jsonTS = time.Date(2026, 3, 4, 5, 6, 7, 891234567, time.UTC)
	tricky = "<html> & \"quotes\" \\ \b\f\n\r\t\x00\x1f\x7f \u2028\u2029 bad:\xff\xc3 é日本🙂"
)

// everyKind holds a value of each kind appendValue writes itself and of
// the kinds it leaves to encoding/json.
func everyKind() map[string]any {
	return map[string]any{
		"nil": nil, "string": tricky, "empty string": "", "true": true, "false": false,
		"int": -42, "int8": int8(math.MinInt8), "int16": int16(math.MaxInt16), "int32": int32(math.MinInt32),
		"int64": int64(math.MinInt64), "uint": uint(math.MaxUint), "uint8": uint8(255), "uint16": uint16(65535),
		"uint32": uint32(math.MaxUint32), "uint64": uint64(math.MaxUint64), "uintptr": uintptr(0xdeadbeef),
		"float64":     []any{0.0, math.Copysign(0, -1), 1.0, -1.5, 123.456, 1e20, 1e21, 1e-6, 1e-7, 9.999e-7, 5e-324, math.MaxFloat64, 0.1 + 0.2, 1e100, -1e-100},
		"float32":     []any{float32(0), float32(1e-7), float32(1e21), float32(3.4e38), float32(0.1), float32(-1e-6), float32(16777217)},
		"map":         map[string]any{"b": 1, "a": map[string]any{"z": []any{"x", nil, map[string]any{}}}, "": "empty key", "A": true, "é": 1, "<k>": 2},
		"nil map":     map[string]any(nil),
		"empty map":   map[string]any{},
		"slice":       []any{1, "two", 3.5, []any{}, nil},
		"nil slice":   []any(nil),
		"empty slice": []any{},
		"strings":     []string{"a", tricky, ""},
		"nil strings": []string(nil), "empty strings": []string{},
		"string map":     map[string]string{"z": "1", "a": tricky, tricky: "key"},
		"nil string map": map[string]string(nil), "empty string map": map[string]string{},
		"raw":        json.RawMessage(`{"a":[1,2,{"b":null}],"c":"d"}`),
		"raw spaced": json.RawMessage(" { \"a\" : [ 1 , 2 ] }\n"),
		"raw html":   json.RawMessage(`"<b>&amp;` + "\u2028" + `"`),
		"raw number": json.RawMessage(`1.50`),
		"nil raw":    json.RawMessage(nil),
		// left to encoding/json
		"time":              jsonTS,
		"time ptr":          &jsonTS,
		"marshaler":         jsonMarshalerValue{7},
		"ptr marshaler":     &ptrMarshaler{"p"},
		"nil ptr marsh":     (*ptrMarshaler)(nil),
		"val of ptr m":      ptrMarshaler{"v"}, // not addressable: its method is not used
		"text":              textMarshalerValue{"t"},
		"ip":                net.IPv4(10, 0, 0, 1),
		"struct":            plainStruct{A: tricky, F: 2.5},
		"struct ptr":        &plainStruct{B: 3},
		"nil struct ptr":    (*plainStruct)(nil),
		"bytes":             []byte("bytes <&>"),
		"array":             [3]int{1, 2, 3},
		"int map":           map[int]string{2: "b", 10: "a", 1: "c"},
		"named map":         namedMap{"k": "v"},
		"named string":      namedString("n"),
		"level":             LevelWarning,
		"number":            json.Number("12.50"),
		"duration":          time.Second,
		"error":             errors.New("an error"),
		"int ptr":           new(int),
		"any slice of maps": []map[string]any{{"a": 1}, nil},
		"nested fallback":   map[string]any{"in": map[string]any{"t": jsonTS, "m": jsonMarshalerValue{1}}},
	}
}

func fullEvent() *Event {
	tid := uint64(7)
	parent := 0
	return &Event{
		EventID: "0123456789abcdef0123456789abcdef", Timestamp: jsonTS,
		Platform: "go", Level: LevelError, Logger: "log<", Transaction: "GET /a&b", ServerName: "host\u2028",
		Release: "r1", Dist: "d", Environment: "prod",
		Message: &LogEntry{Message: "m %s %d", Formatted: tricky, Params: []any{"a", 1, 2.5, nil, jsonTS}},
		Exception: &ExceptionList{Values: []Exception{
			{Type: "*errors.errorString", Value: "inner", Module: "errors", ThreadID: &tid,
				Stacktrace: &Stacktrace{Frames: []Frame{
					{Function: "main", Module: "main", Filename: "main.go", AbsPath: "/src/main.go", Lineno: 10, InApp: true,
						PreContext: []string{"a\t<b>", ""}, ContextLine: "panic(\"x\") \xff\b", PostContext: []string{"}"}},
					{Function: "goexit"}, {},
				}},
				Mechanism: &Mechanism{Type: "chained", Source: "Unwrap", ExceptionID: 1, ParentID: &parent,
					Data: map[string]any{"k": "v", "n": 1.5}}},
			{Type: "*fmt.wrapError", Value: tricky, Stacktrace: &Stacktrace{},
				Mechanism: &Mechanism{Type: "generic", Description: "d", Handled: new(true), Synthetic: true, IsExceptionGroup: true}},
		}},
		Threads: &ThreadList{Values: []Thread{
			{ID: 1, Name: "main", State: "running", Crashed: true, Current: true, Main: true,
				Stacktrace: &Stacktrace{Frames: []Frame{{Function: "f", Lineno: 3}}}},
			{ID: 0},
		}},
		Breadcrumbs: &BreadcrumbList{Values: []Breadcrumb{
			{Timestamp: jsonTS, Type: "http", Category: "request", Message: tricky, Level: LevelInfo,
				Data: map[string]any{"status": 200, "url": "/a?b=<c>", "ratio": 0.25}},
			{Timestamp: jsonTS.Add(time.Millisecond)},
		}},
		User: &User{ID: "1", Username: "u", Email: "a@b.c", IPAddress: "{{auto}}", Name: "n", Segment: "s",
			Data: map[string]any{"plan": "pro"}},
		Request: &Request{Method: "POST", URL: "https://x/y", QueryString: "a=1&b=2", Fragment: "f",
			Headers: map[string]string{"User-Agent": "ua", "Accept": "*/*"}, Env: map[string]string{"REMOTE_ADDR": "1.2.3.4"},
			Data: map[string]any{"form": []string{"x"}}},
		Contexts: map[string]map[string]any{
			"os":      {"type": "os", "name": "linux"},
			"runtime": {"type": "runtime", "name": "go", "version": "go1.26"},
			"device":  {"type": "device", "arch": "amd64", "processor_count": 2},
		},
		Tags:        map[string]string{"b": "2", "a": "1", "A": "0"},
		Extra:       map[string]any{"k": "v", "n": 3, "f": 0.5, "nested": map[string]any{"l": []any{1, "x"}}},
		Fingerprint: []string{"{{ default }}", "x"},
		Modules:     map[string]string{"github.com/a/b": "v1.0.0", "golang.org/x/sync": "v0.8.0"},
		SDK: &SDKInfo{Name: SDKName, Version: SDKVersion, Integrations: []string{"http"},
			Packages: []SDKPackage{{Name: "go:github.com/ravenkit/raven", Version: SDKVersion}, {}}},
	}
}

func TestEventAppendJSONMatchesReference(t *testing.T) {
	deep := map[string]any{"leaf": 1.5}
	deepSlice := []any{"leaf"}
	for i := 0; i < 300; i++ {
		deep = map[string]any{fmt.Sprint("level", i): deep, "i": i}
		deepSlice = []any{deepSlice, i}
	}
	cyclic := map[string]any{"a": 1}
	cyclic["self"] = cyclic
	cyclicSlice := []any{1, nil}
	cyclicSlice[1] = cyclicSlice
	huge := strings.Repeat("huge <string> with \u2028 and é ", 40000) + "\xff"
	zeroID := 0

	cases := []struct {
		name    string
		event   func() *Event
		wantErr bool
	}{
		{"minimal", func() *Event { return &Event{EventID: "0123456789abcdef0123456789abcdef", Timestamp: jsonTS} }, false},
		{"no id", func() *Event { return &Event{Timestamp: jsonTS} }, false},
		{"every field", fullEvent, false},
		{"timestamp in another zone, far years", func() *Event {
			return &Event{Timestamp: time.Date(12345, 1, 1, 0, 0, 0, 999, time.FixedZone("x", 3600)),
				Breadcrumbs: &BreadcrumbList{Values: []Breadcrumb{
					{Timestamp: time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC)},
					{Timestamp: time.Date(2026, 1, 1, 23, 59, 59, 999999999, time.FixedZone("y", -7200))},
				}}}
		}, false},
		{"empty maps and slices", func() *Event {
			return &Event{Timestamp: jsonTS,
				Message:   &LogEntry{Params: []any{}},
				Exception: &ExceptionList{},
				Threads:   &ThreadList{},
				User:      &User{Data: map[string]any{}},
				Request:   &Request{Headers: map[string]string{}, Env: map[string]string{}},
				Contexts:  map[string]map[string]any{}, Tags: map[string]string{}, Extra: map[string]any{},
				Fingerprint: []string{}, Modules: map[string]string{},
				SDK:         &SDKInfo{Integrations: []string{}, Packages: []SDKPackage{}},
				Breadcrumbs: &BreadcrumbList{},
			}
		}, false},
		{"empty non-nil lists", func() *Event {
			return &Event{Timestamp: jsonTS, Exception: &ExceptionList{Values: []Exception{}},
				Threads: &ThreadList{Values: []Thread{}}, Breadcrumbs: &BreadcrumbList{Values: []Breadcrumb{}}}
		}, false},
		{"zero members", func() *Event {
			return &Event{Timestamp: jsonTS, Message: &LogEntry{},
				Exception: &ExceptionList{Values: []Exception{{}, {Mechanism: &Mechanism{}, Stacktrace: &Stacktrace{Frames: []Frame{}}},
					{ThreadID: new(uint64), Mechanism: &Mechanism{Handled: new(false), ParentID: &zeroID, Data: map[string]any{}}}}},
				Threads:     &ThreadList{Values: []Thread{{}, {Stacktrace: &Stacktrace{}}}},
				Breadcrumbs: &BreadcrumbList{Values: []Breadcrumb{{Timestamp: jsonTS, Data: map[string]any{}}}},
				User:        &User{}, Request: &Request{}, SDK: &SDKInfo{Packages: []SDKPackage{{}}},
				Fingerprint: []string{""}, Tags: map[string]string{"": ""}, Modules: map[string]string{"": ""},
			}
		}, false},
		{"nil and empty contexts", func() *Event {
			return &Event{Timestamp: jsonTS, Contexts: map[string]map[string]any{"nil": nil, "empty": {}, "x": {"a": nil}}}
		}, false},
		{"cookies, negative line", func() *Event {
			return &Event{Timestamp: jsonTS, Request: &Request{Cookies: map[string]string{"a": "1", "b": "<2>"}},
				Threads: &ThreadList{Values: []Thread{{Stacktrace: &Stacktrace{Frames: []Frame{{Lineno: -1}}}}}}}
		}, false},
		{"request data kinds", func() *Event {
			return &Event{Timestamp: jsonTS, Request: &Request{Data: ""}}
		}, false},
		{"request data bytes", func() *Event {
			return &Event{Timestamp: jsonTS, Request: &Request{Data: []byte("a=1&b=<2>")}}
		}, false},
		{"request data typed nil", func() *Event {
			return &Event{Timestamp: jsonTS, Request: &Request{Data: (*plainStruct)(nil)}}
		}, false},
		{"tricky strings everywhere", func() *Event {
			s := tricky
			return &Event{EventID: EventID(s), Timestamp: jsonTS, Platform: s, Level: Level(s), Logger: s, Transaction: s,
				ServerName: s, Release: s, Dist: s, Environment: s,
				Message:     &LogEntry{Message: s, Formatted: s, Params: []any{s}},
				Exception:   &ExceptionList{Values: []Exception{{Type: s, Value: s, Module: s, Mechanism: &Mechanism{Type: s, Description: s, Source: s, Data: map[string]any{s: s}}}}},
				Threads:     &ThreadList{Values: []Thread{{Name: s, State: s, Stacktrace: &Stacktrace{Frames: []Frame{{Function: s, Module: s, Filename: s, AbsPath: s, PreContext: []string{s}, ContextLine: s, PostContext: []string{s}}}}}}},
				Breadcrumbs: &BreadcrumbList{Values: []Breadcrumb{{Timestamp: jsonTS, Type: s, Category: s, Message: s, Level: Level(s), Data: map[string]any{s: s}}}},
				User:        &User{ID: s, Username: s, Email: s, IPAddress: s, Name: s, Segment: s, Data: map[string]any{s: s}},
				Request:     &Request{Method: s, URL: s, QueryString: s, Fragment: s, Cookies: map[string]string{s: s}, Headers: map[string]string{s: s}, Env: map[string]string{s: s}, Data: s},
				Contexts:    map[string]map[string]any{s: {s: s}}, Tags: map[string]string{s: s}, Extra: map[string]any{s: s},
				Fingerprint: []string{s}, Modules: map[string]string{s: s},
				SDK: &SDKInfo{Name: s, Version: s, Integrations: []string{s}, Packages: []SDKPackage{{Name: s, Version: s}}},
			}
		}, false},
		{"key order", func() *Event {
			keys := []string{"b", "a", "B", "A", "_", "a\x00", "a b", "é", "e", "z", "10", "9", "", "\xff", "aa", "a\u2028"}
			extra, tags := map[string]any{}, map[string]string{}
			for i, k := range keys {
				extra[k], tags[k] = i, k
			}
			for i := 0; i < 100; i++ { // more keys than the scratch arrays hold
				extra[fmt.Sprint("k", i)], tags[fmt.Sprint("k", i)] = i, "v"
			}
			return &Event{Timestamp: jsonTS, Extra: extra, Tags: tags, Modules: tags,
				Contexts: map[string]map[string]any{"z": extra, "a": {}, "m": nil}}
		}, false},
		{"huge strings", func() *Event {
			return &Event{Timestamp: jsonTS, Message: &LogEntry{Formatted: huge},
				Exception:   &ExceptionList{Values: []Exception{{Value: huge}}},
				Breadcrumbs: &BreadcrumbList{Values: []Breadcrumb{{Timestamp: jsonTS, Message: huge}}},
				Extra:       map[string]any{"huge": huge}}
		}, false},
		{"every kind of value", func() *Event {
			return &Event{Timestamp: jsonTS, Extra: everyKind(),
				Contexts:    map[string]map[string]any{"kinds": everyKind()},
				User:        &User{Data: everyKind()},
				Request:     &Request{Data: everyKind()},
				Message:     &LogEntry{Params: []any{everyKind(), []any{everyKind()}}},
				Exception:   &ExceptionList{Values: []Exception{{Mechanism: &Mechanism{Data: everyKind()}}}},
				Breadcrumbs: &BreadcrumbList{Values: []Breadcrumb{{Timestamp: jsonTS, Data: everyKind()}}}}
		}, false},
		{"json numbers", func() *Event {
			return &Event{Timestamp: jsonTS, Extra: map[string]any{"n": json.Number("12.50"), "e": json.Number("-1e+21"), "zero": json.Number("")}}
		}, false},
		{"invalid json number", func() *Event {
			return &Event{Timestamp: jsonTS, Extra: map[string]any{"n": json.Number("0x10")}}
		}, true},
		{"deep nesting", func() *Event {
			return &Event{Timestamp: jsonTS, Extra: map[string]any{"deep": deep, "slice": deepSlice}}
		}, false},
		{"NaN in extra", func() *Event { return &Event{Timestamp: jsonTS, Extra: map[string]any{"x": math.NaN()}} }, true},
		{"Inf in contexts", func() *Event {
			return &Event{Timestamp: jsonTS, Contexts: map[string]map[string]any{"c": {"x": math.Inf(1)}}}
		}, true},
		{"float32 Inf in params", func() *Event {
			return &Event{Timestamp: jsonTS, Message: &LogEntry{Params: []any{float32(math.Inf(-1))}}}
		}, true},
		{"NaN in breadcrumb data", func() *Event {
			return &Event{Timestamp: jsonTS, Breadcrumbs: &BreadcrumbList{Values: []Breadcrumb{{Timestamp: jsonTS, Data: map[string]any{"x": []any{math.NaN()}}}}}}
		}, true},
		{"NaN in mechanism data", func() *Event {
			return &Event{Timestamp: jsonTS, Exception: &ExceptionList{Values: []Exception{{Mechanism: &Mechanism{Data: map[string]any{"x": math.NaN()}}}}}}
		}, true},
		{"channel in user data", func() *Event {
			return &Event{Timestamp: jsonTS, User: &User{Data: map[string]any{"ch": make(chan int)}}}
		}, true},
		{"func in request data", func() *Event { return &Event{Timestamp: jsonTS, Request: &Request{Data: func() {}}} }, true},
		{"invalid raw message", func() *Event {
			return &Event{Timestamp: jsonTS, Extra: map[string]any{"raw": json.RawMessage(`{"a":`)}}
		}, true},
		{"empty raw message", func() *Event {
			return &Event{Timestamp: jsonTS, Extra: map[string]any{"raw": json.RawMessage{}}}
		}, true},
		{"marshaler writing invalid JSON", func() *Event {
			return &Event{Timestamp: jsonTS, Extra: map[string]any{"bad": badJSON{}}}
		}, true},
		{"marshaler failing", func() *Event {
			return &Event{Timestamp: jsonTS, Extra: map[string]any{"ok": 1, "bad": []any{failingJSON{}}}}
		}, true},
		{"cyclic map", func() *Event { return &Event{Timestamp: jsonTS, Extra: map[string]any{"c": cyclic}} }, true},
		{"cyclic slice", func() *Event { return &Event{Timestamp: jsonTS, Extra: map[string]any{"c": cyclicSlice}} }, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev := tc.event()
			_, refErr := referenceMarshal(ev)
			require.Equal(t, tc.wantErr, refErr != nil, "reference error: %v", refErr)
			assertSameJSON(t, ev)
		})
	}
}
