package protocol

import (
	"encoding/json"
	"fmt"
	"math"
	"runtime/debug"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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
