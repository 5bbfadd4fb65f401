package protocol

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"runtime/debug"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ravenkit/raven/internal/schematest"
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

// TestEventJSONValidatesAgainstSchema checks a complete event and a
// captured one against Relay's schema.
func TestEventJSONValidatesAgainstSchema(t *testing.T) {
	b, err := fullEvent().MarshalJSON()
	require.NoError(t, err)
	schematest.Check(t, b)
	b, err = captureBenchEvent(t).MarshalJSON()
	require.NoError(t, err)
	schematest.Check(t, b)
}

// TestEventJSONEmptyListsAreArrays checks that exception, thread and
// breadcrumb lists without values are written as empty arrays, which the
// schema accepts, and not as null, which it does not.
func TestEventJSONEmptyListsAreArrays(t *testing.T) {
	ev := &Event{EventID: "0123456789abcdef0123456789abcdef", Timestamp: jsonTS, Platform: "go",
		Exception: &ExceptionList{}, Threads: &ThreadList{}, Breadcrumbs: &BreadcrumbList{}}
	b, err := ev.MarshalJSON()
	require.NoError(t, err)
	assert.Contains(t, string(b), `"exception":{"values":[]}`)
	assert.Contains(t, string(b), `"threads":{"values":[]}`)
	assert.Contains(t, string(b), `"breadcrumbs":{"values":[]}`)
	schematest.Check(t, b)
}

// TestEventJSONFloatFormat checks appendFloat against encoding/json around
// the points where it switches to exponents.
func TestEventJSONFloatFormat(t *testing.T) {
	vals := []float64{0, 1, -1, 0.1, 1e-6, 1e-7, 9.99999e-7, 1e20, 1e21, 9.99999999e20, 1.5e300, 5e-324,
		math.MaxFloat64, math.SmallestNonzeroFloat64, math.MaxFloat32, math.SmallestNonzeroFloat32, 123456789.125}
	for _, v := range vals {
		for _, f := range []float64{v, -v, math.Nextafter(v, 0), math.Nextafter(v, math.Inf(1))} {
			if math.IsInf(f, 0) {
				continue
			}
			xs := []any{f}
			if !math.IsInf(float64(float32(f)), 0) {
				xs = append(xs, float32(f))
			}
			for _, x := range xs {
				want, err := json.Marshal(x)
				require.NoError(t, err)
				got, err := appendValue(nil, x, 0)
				require.NoError(t, err)
				assert.Equal(t, string(want), string(got), "%T %v", x, x)
			}
		}
	}
	for _, x := range []any{math.NaN(), math.Inf(1), math.Inf(-1), float32(math.NaN()), float32(math.Inf(-1))} {
		_, want := json.Marshal(x)
		require.Error(t, want)
		got, err := appendValue(nil, x, 0)
		assert.Nil(t, got)
		assert.EqualError(t, err, want.Error())
	}
}

// FuzzEventJSON builds events from fuzzed strings and numbers and checks
// that appendJSON writes the reference bytes, and valid JSON.
func FuzzEventJSON(f *testing.F) {
	f.Add("message", "key", "<value>&", int64(1), uint64(2), 0.5, true)
	f.Add(tricky, "\u2028", "\xff\xfe", int64(-1), uint64(math.MaxUint64), math.Inf(1), false)
	f.Add("", "", "", int64(math.MinInt64), uint64(0), 1e21, true)
	f.Add("a\x00b", "é", "\b\f", int64(1e18), uint64(1<<63), 1e-7, false)
	f.Fuzz(func(t *testing.T, s1, s2, s3 string, i int64, u uint64, fl float64, b bool) {
		for _, s := range []string{s1, s2, s3} {
			want, err := json.Marshal(s)
			require.NoError(t, err)
			require.Equal(t, string(want), string(appendJSONString(nil, s)))
		}
		ts := time.Unix(i%(1<<38), int64(u%1e9)).In(time.FixedZone("z", int(i%86400)))
		require.Equal(t, ts.UTC().Format(timeLayout), string(appendTime(nil, ts)))
		frames := []Frame{
			{Function: s1, Module: s2, Filename: s3, AbsPath: s1 + s2, Lineno: int(i), InApp: b,
				PreContext: []string{s2, s3}, ContextLine: s1, PostContext: []string{s3}},
			{Function: s3},
		}
		st := &Stacktrace{Frames: frames}
		want, err := referenceStacktrace(st)
		require.NoError(t, err)
		require.Equal(t, string(want), string(st.appendJSON(nil)))

		// a value of each kind, chosen and nested by the fuzzed numbers
		kinds := []any{s1, i, u, fl, float32(fl), b, nil, int8(i), uint16(u), []string{s2, s3},
			map[string]string{s1: s2, s2: s3}, json.RawMessage(s3), []byte(s1), jsonTS.Add(time.Duration(i)),
			namedString(s2), map[string]any{s3: s1}}
		pick := func(n uint64) any { return kinds[n%uint64(len(kinds))] }
		extra := map[string]any{s1: pick(u), s2: pick(u >> 8), "nested": map[string]any{s3: []any{pick(uint64(i)), pick(u >> 16)}}}
		var handled *bool
		if b {
			handled = &b
		}
		parent := int(i)
		tid := u
		ev := &Event{
			EventID: EventID(s1), Timestamp: ts, Platform: "go", Level: Level(s2), Logger: s3, Transaction: s1,
			ServerName: s2, Release: s3, Environment: s1, Dist: s2,
			Message: &LogEntry{Message: s1, Formatted: s2, Params: []any{pick(u >> 24), s3}},
			Exception: &ExceptionList{Values: []Exception{
				{Type: s1, Value: s2, Module: s3, ThreadID: &tid, Stacktrace: st,
					Mechanism: &Mechanism{Type: s3, Description: s1, Handled: handled, Synthetic: b, ExceptionID: int(i), ParentID: &parent,
						Data: map[string]any{s2: pick(u >> 32)}}},
			}},
			Threads:     &ThreadList{Values: []Thread{{ID: u, Name: s1, Crashed: b, Stacktrace: st}}},
			Breadcrumbs: &BreadcrumbList{Values: []Breadcrumb{{Timestamp: ts, Type: s1, Category: s2, Message: s3, Level: Level(s1), Data: extra}}},
			User:        &User{ID: s1, Email: s2, Data: map[string]any{s3: pick(u >> 40)}},
			Request:     &Request{Method: s1, URL: s2, Headers: map[string]string{s1: s2, s3: s1}, Data: pick(u >> 48)},
			Contexts:    map[string]map[string]any{s1: {s2: pick(u >> 56)}, s3: nil},
			Tags:        map[string]string{s1: s2, s2: s3, s3: s1},
			Extra:       extra,
			Fingerprint: []string{s1, s2},
			Modules:     map[string]string{s3: s2},
			SDK:         &SDKInfo{Name: s1, Version: s2, Integrations: []string{s3}, Packages: []SDKPackage{{Name: s2, Version: s3}}},
		}
		if got := assertSameJSON(t, ev); got != nil {
			require.True(t, json.Valid(got))
		}
	})
}

// captureBenchEvent returns an event like the one a capture in the
// delivery benchmark builds: a two-level %w chain with a stack of twenty
// frames, 20 breadcrumbs, one tag, the os, runtime and device contexts
// and ten modules.
func captureBenchEvent(tb testing.TB) *Event {
	tb.Helper()
	frames := make([]Frame, 20)
	for i := range frames {
		frames[i] = Frame{Function: fmt.Sprintf("handler.func%d", i), Module: "example.com/shop/orders",
			Filename: "orders/handler.go", AbsPath: "/src/shop/orders/handler.go", Lineno: 10 + i, InApp: i > 10}
	}
	ev := &Event{EventID: NewEventID(), Timestamp: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC), Platform: "go",
		Level: LevelError, ServerName: "host-1", Release: "shop@1.2.3", Environment: "production",
		Tags: map[string]string{"tag": "v"},
		SDK:  &SDKInfo{Name: SDKName, Version: SDKVersion},
		Contexts: map[string]map[string]any{
			"os":      {"name": "linux"},
			"runtime": {"name": "go", "version": "go1.26.0"},
			"device":  {"arch": "amd64", "num_cpu": 2},
		},
		Exception: &ExceptionList{Values: []Exception{
			{Type: "*errors.errorString", Value: "connection refused", Module: "errors",
				Mechanism: &Mechanism{Type: "generic", ExceptionID: 2, ParentID: new(1)}},
			{Type: "*fmt.wrapError", Value: "load customer: connection refused", Module: "fmt",
				Mechanism: &Mechanism{Type: "generic", ExceptionID: 1, ParentID: new(0)}},
			{Type: "*fmt.wrapError", Value: "handle order 42: load customer: connection refused", Module: "fmt",
				Mechanism: &Mechanism{Type: "generic", Handled: new(true)}, Stacktrace: &Stacktrace{Frames: frames}},
		}},
		Breadcrumbs: &BreadcrumbList{},
		Modules:     map[string]string{},
	}
	for i := range 20 {
		ev.Breadcrumbs.Values = append(ev.Breadcrumbs.Values, Breadcrumb{Category: "test", Message: fmt.Sprintf("step %d", i),
			Timestamp: ev.Timestamp.Add(-time.Duration(20-i) * time.Second)})
	}
	for i := range 10 {
		ev.Modules[fmt.Sprintf("example.com/module%d", i)] = "v1.2.3"
	}
	return ev
}

// TestEventMarshalJSONAllocations checks that the size hint spares the
// buffer any growth for a typical event: one allocation in all.
func TestEventMarshalJSONAllocations(t *testing.T) {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "-race" && s.Value == "true" {
				t.Skip("allocation counts differ under the race detector")
			}
		}
	}
	ev := captureBenchEvent(t)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := ev.MarshalJSON(); err != nil {
			t.Fatal(err)
		}
	})
	assert.Equal(t, 1.0, allocs)
}

func BenchmarkEventMarshalJSON(b *testing.B) {
	ev := captureBenchEvent(b)
	want, err := referenceMarshal(ev)
	require.NoError(b, err)
	got, err := ev.MarshalJSON()
	require.NoError(b, err)
	require.Equal(b, string(want), string(got))
	b.Run("appendJSON", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(want)))
		for b.Loop() {
			if _, err := ev.MarshalJSON(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("reference", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(want)))
		for b.Loop() {
			if _, err := referenceMarshal(ev); err != nil {
				b.Fatal(err)
			}
		}
	})
}
