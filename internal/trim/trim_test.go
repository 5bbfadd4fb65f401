package trim

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ravenkit/raven/internal/protocol"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func bigEvent(crumbs, extraBytes int) *protocol.Event {
	ev := &protocol.Event{EventID: protocol.NewEventID(), Platform: "go", Level: protocol.LevelError,
		Message:     &protocol.LogEntry{Formatted: "boom"},
		Extra:       map[string]any{"small": "kept", "big": strings.Repeat("x", extraBytes)},
		Breadcrumbs: &protocol.BreadcrumbList{}}
	for i := range crumbs {
		ev.Breadcrumbs.Values = append(ev.Breadcrumbs.Values, protocol.Breadcrumb{Message: fmt.Sprintf("crumb %d %s", i, strings.Repeat("b", 100))})
	}
	return ev
}

func encode(t *testing.T, ev *protocol.Event) []byte {
	t.Helper()
	b, err := ev.MarshalJSON()
	require.NoError(t, err)
	return b
}

func TestToFitDropsOldestBreadcrumbsFirst(t *testing.T) {
	ev := bigEvent(100, 0)
	b := encode(t, ev)
	limit := len(b) - 2000 // about twenty breadcrumbs too many
	out, err := ToFit(ev, b, limit)
	require.NoError(t, err)
	assert.LessOrEqual(t, len(out), limit)
	require.NotEmpty(t, ev.Breadcrumbs.Values)
	assert.Equal(t, "crumb 99 "+strings.Repeat("b", 100), ev.Breadcrumbs.Values[len(ev.Breadcrumbs.Values)-1].Message, "the newest stay")
	assert.NotEqual(t, "crumb 0 "+strings.Repeat("b", 100), ev.Breadcrumbs.Values[0].Message, "the oldest go")
	assert.Equal(t, "kept", ev.Extra["small"], "nothing else was cut")
	assert.True(t, json.Valid(out))
}

func TestToFitCutsAHugeExtra(t *testing.T) {
	ev := bigEvent(5, 200_000)
	b := encode(t, ev)
	out, err := ToFit(ev, b, 64_000)
	require.NoError(t, err)
	assert.LessOrEqual(t, len(out), 64_000)
	assert.True(t, json.Valid(out))
	assert.Equal(t, "boom", ev.Message.Formatted)
}

// fullEvent is an event with every part the budget keeps when it can:
// breadcrumbs, a stack with context lines, modules, contexts, user data.
func fullEvent() *protocol.Event {
	ev := bigEvent(20, 0)
	delete(ev.Extra, "big")
	ev.Timestamp = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) // a zero time encodes as now
	for i := range ev.Breadcrumbs.Values {
		ev.Breadcrumbs.Values[i].Timestamp = ev.Timestamp
	}
	frames := make([]protocol.Frame, 30)
	for i := range frames {
		frames[i] = protocol.Frame{Function: fmt.Sprintf("f%d", i), Module: "example.com/app", Filename: "app.go", Lineno: i + 1, InApp: true,
			PreContext: []string{"a := 1", "b := 2"}, ContextLine: "panic(err)", PostContext: []string{"}"}}
	}
	ev.Exception = &protocol.ExceptionList{Values: []protocol.Exception{{Type: "*errors.errorString", Value: "boom", Stacktrace: &protocol.Stacktrace{Frames: frames}}}}
	ev.Modules = map[string]string{"github.com/pkg/errors": "v0.9.1", "golang.org/x/sync": "v0.10.0"}
	ev.Contexts = map[string]map[string]any{"os": {"name": "linux"}, "runtime": {"name": "go", "version": "go1.26"}}
	ev.User = &protocol.User{ID: "42", Data: map[string]any{"plan": "pro"}}
	return ev
}

// clone copies what ToFit may replace, to compare with afterwards.
func clone(t *testing.T, ev *protocol.Event) *protocol.Event {
	t.Helper()
	var out protocol.Event
	require.NoError(t, json.Unmarshal(encode(t, ev), &out))
	return &out
}

// roundTrip decodes out as the server would.
func roundTrip(t *testing.T, out []byte) *protocol.Event {
	t.Helper()
	require.True(t, json.Valid(out))
	var ev protocol.Event
	require.NoError(t, json.Unmarshal(out, &ev))
	return &ev
}

var markerRE = regexp.MustCompile(`\.\.\.\[([0-9,]+) bytes cut\]$`)

// cutBytes returns how many bytes the marker ending s says were cut.
func cutBytes(t *testing.T, s string) int {
	t.Helper()
	m := markerRE.FindStringSubmatch(s)
	require.NotNil(t, m, "no marker at the end of %.40q...", s[max(0, len(s)-60):])
	n, err := strconv.Atoi(strings.ReplaceAll(m[1], ",", ""))
	require.NoError(t, err)
	return n
}

func TestToFitCutsOnlyTheLargestValue(t *testing.T) {
	ev := fullEvent()
	ev.Extra["blob"] = strings.Repeat("x", 300_000)
	ev.Extra["medium"] = strings.Repeat("m", 10_000)
	before := clone(t, ev)
	extra := ev.Extra
	b := encode(t, ev)
	out, err := ToFit(ev, b, 200_000)
	require.NoError(t, err)
	assert.LessOrEqual(t, len(out), 200_000)
	assert.Greater(t, len(out), 199_000, "no more is cut than needed")
	got := roundTrip(t, out)

	blob := got.Extra["blob"].(string)
	kept := len(blob) - len(markerRE.FindString(blob))
	assert.Equal(t, strings.Repeat("x", kept), blob[:kept], "the beginning stays")
	assert.Equal(t, 300_000-kept, cutBytes(t, blob), "the marker says how much was cut")
	assert.Equal(t, strings.Repeat("x", 300_000), extra["blob"], "the scope's map is not modified")

	// everything else is as it was
	got.Extra["blob"], before.Extra["blob"] = nil, nil
	assert.Equal(t, before, got)
}

func TestToFitLevelsTheLargestValues(t *testing.T) {
	ev := fullEvent()
	ev.Extra["a"] = strings.Repeat("a", 100_000)
	ev.Extra["b"] = strings.Repeat("b", 60_000)
	ev.Extra["c"] = strings.Repeat("c", 20_000)
	b := encode(t, ev)
	limit := len(b) - 50_000
	out, err := ToFit(ev, b, limit)
	require.NoError(t, err)
	assert.LessOrEqual(t, len(out), limit)
	got := roundTrip(t, out)
	a, bb := got.Extra["a"].(string), got.Extra["b"].(string)
	cutBytes(t, a)
	cutBytes(t, bb)
	assert.InDelta(t, len(a), len(bb), 64, "the two largest end at the same level")
	assert.InDelta(t, 55_000, len(a), 500)
	assert.Equal(t, strings.Repeat("c", 20_000), got.Extra["c"], "the third is below the level")
}

func TestToFitCutsInsideAValue(t *testing.T) {
	ev := fullEvent()
	chunks := make([]any, 128)
	for i := range chunks {
		chunks[i] = strings.Repeat("r", 8192)
	}
	ev.Contexts["payload"] = map[string]any{"rows": chunks, "count": int64(128)}
	before := clone(t, ev)
	b := encode(t, ev)
	out, err := ToFit(ev, b, 1_000_000)
	require.NoError(t, err)
	assert.LessOrEqual(t, len(out), 1_000_000)
	got := roundTrip(t, out)
	rows := got.Contexts["payload"]["rows"].([]any)
	require.Len(t, rows, 128, "every row stays, shortened")
	for _, r := range rows {
		cutBytes(t, r.(string))
	}
	assert.EqualValues(t, 128, got.Contexts["payload"]["count"])
	delete(got.Contexts, "payload")
	delete(before.Contexts, "payload")
	assert.Equal(t, before, got, "nothing else is cut")
}

func TestToFitCutsTheMiddleOfADeepStack(t *testing.T) {
	ev := fullEvent()
	frames := make([]protocol.Frame, 10_000)
	for i := range frames {
		frames[i] = protocol.Frame{Function: fmt.Sprintf("recurse%d", i), Module: "example.com/app", Filename: "deep.go", Lineno: i + 1, InApp: true,
			PreContext: []string{"func recurse(n int) {", "	if n == 0 {", "		panic(\"bottom\")", "	}"}, ContextLine: "	recurse(n - 1)", PostContext: []string{"}", ""}}
	}
	ev.Exception.Values[0].Stacktrace = &protocol.Stacktrace{Frames: frames}
	before := clone(t, ev)
	b := encode(t, ev)
	require.Greater(t, len(b), 1<<20)
	out, err := ToFit(ev, b, 1<<20)
	require.NoError(t, err)
	assert.LessOrEqual(t, len(out), 1<<20)
	got := roundTrip(t, out)
	kept := got.Exception.Values[0].Stacktrace.Frames
	assert.Less(t, len(kept), 10_000)
	assert.Greater(t, len(kept), 1000)
	assert.Equal(t, "recurse0", kept[0].Function, "the outermost frame stays")
	assert.Equal(t, "recurse9999", kept[len(kept)-1].Function, "the innermost frame stays")
	assert.Equal(t, "	recurse(n - 1)", kept[len(kept)-1].ContextLine, "with its context lines")
	assert.InDelta(t, len(kept)/2, slicesIndex(kept, "recurse"+strconv.Itoa(10_000-len(kept)/2)), 1, "both ends alike")
	assert.Equal(t, frames[9999], ev.Exception.Values[0].Stacktrace.Frames[len(kept)-1])
	got.Exception.Values[0].Stacktrace, before.Exception.Values[0].Stacktrace = nil, nil
	assert.Equal(t, before, got, "nothing else is cut")
}

// slicesIndex returns the index of the frame of function fn, or -1.
func slicesIndex(frames []protocol.Frame, fn string) int {
	for i, f := range frames {
		if f.Function == fn {
			return i
		}
	}
	return -1
}

func TestToFitDropsContextLinesWhenTheEndsDoNotFitWithThem(t *testing.T) {
	ev := &protocol.Event{EventID: protocol.NewEventID()}
	frames := make([]protocol.Frame, 100)
	for i := range frames {
		frames[i] = protocol.Frame{Function: fmt.Sprintf("f%d", i), InApp: true, ContextLine: strings.Repeat("c", 1000)}
	}
	ev.Threads = &protocol.ThreadList{Values: []protocol.Thread{{Stacktrace: &protocol.Stacktrace{Frames: frames}}}}
	b := encode(t, ev)
	out, err := ToFit(ev, b, 8000)
	require.NoError(t, err)
	assert.LessOrEqual(t, len(out), 8000)
	kept := roundTrip(t, out).Threads.Values[0].Stacktrace.Frames
	assert.GreaterOrEqual(t, len(kept), 2*keepEnds)
	assert.Empty(t, kept[0].ContextLine)
	assert.Equal(t, strings.Repeat("c", 1000), frames[0].ContextLine, "the frames handed in are not modified")
}

func TestToFitShortensBreadcrumbsBeforeDroppingThem(t *testing.T) {
	ev := &protocol.Event{EventID: protocol.NewEventID(), Breadcrumbs: &protocol.BreadcrumbList{}}
	for i := range 100 {
		ev.Breadcrumbs.Values = append(ev.Breadcrumbs.Values, protocol.Breadcrumb{Message: fmt.Sprintf("%03d %s", i, strings.Repeat("b", 30_000)),
			Data: map[string]any{"i": int64(i)}})
	}
	b := encode(t, ev)
	out, err := ToFit(ev, b, 1<<20)
	require.NoError(t, err)
	assert.LessOrEqual(t, len(out), 1<<20)
	crumbs := roundTrip(t, out).Breadcrumbs.Values
	require.Len(t, crumbs, 100, "all stay")
	for i, c := range crumbs {
		assert.Equal(t, fmt.Sprintf("%03d", i), c.Message[:3])
		cutBytes(t, c.Message)
		assert.EqualValues(t, i, c.Data["i"])
	}

	out, err = ToFit(ev, out, 20_000)
	require.NoError(t, err)
	assert.LessOrEqual(t, len(out), 20_000)
	crumbs = roundTrip(t, out).Breadcrumbs.Values
	require.NotEmpty(t, crumbs)
	assert.Less(t, len(crumbs), 100, "past their floor the oldest go")
	assert.Equal(t, "099", crumbs[len(crumbs)-1].Message[:3])
}

func TestToFitMeasuresEscapedText(t *testing.T) {
	ev := fullEvent()
	ev.Message = &protocol.LogEntry{Formatted: strings.Repeat("<\xff\u2028é", 100_000)}
	b := encode(t, ev)
	out, err := ToFit(ev, b, 300_000)
	require.NoError(t, err)
	assert.LessOrEqual(t, len(out), 300_000)
	assert.Greater(t, len(out), 299_000)
	cutBytes(t, roundTrip(t, out).Message.Formatted)
}

func TestToFitGivesUpOnlyWhenTheSkeletonIsTooLarge(t *testing.T) {
	ev := &protocol.Event{EventID: protocol.NewEventID(), Tags: map[string]string{}}
	for i := range 100 {
		ev.Tags[fmt.Sprint("tag", i)] = strings.Repeat("t", 200)
	}
	ev.Extra = map[string]any{"x": strings.Repeat("x", 10_000)}
	_, err := ToFit(ev, encode(t, ev), 5000)
	assert.ErrorContains(t, err, "does not fit")
}

func TestCutMarker(t *testing.T) {
	assert.Equal(t, "...[7 bytes cut]", cutMarker(7))
	assert.Equal(t, "...[1,234,567 bytes cut]", cutMarker(1234567))
	assert.Equal(t, "[100,000 bytes cut]", wholeMarker(100_000))
	assert.Equal(t, "abc...[3 bytes cut]", cutString("abcdef", 2+len("abc...[3 bytes cut]")))
	assert.Equal(t, "...[6 bytes cut]", cutString("abcdef", 0), "below the floor: the marker alone")
	assert.Equal(t, "ab...[10 bytes cut]", cutString(protocol.CutString("abcdefghijkl", 6), 2+len("ab...[10 bytes cut]")),
		"a string cut at capture: one marker counting both cuts")
}

// BenchmarkToFit trims events of about 2 MiB to 1 MiB.
func BenchmarkToFit(b *testing.B) {
	chunks := make([]any, 256)
	for i := range chunks {
		chunks[i] = strings.Repeat("r", 8192)
	}
	frames := make([]protocol.Frame, 10_000)
	for i := range frames {
		frames[i] = protocol.Frame{Function: fmt.Sprintf("recurse%d", i), Module: "example.com/app", Filename: "deep.go", Lineno: i + 1, InApp: true,
			PreContext: []string{"func recurse(n int) {", "	if n == 0 {"}, ContextLine: "	recurse(n - 1)", PostContext: []string{"}", ""}}
	}
	cases := []struct {
		name string
		set  func(ev *protocol.Event)
	}{
		{"extra", func(ev *protocol.Event) { ev.Extra["blob"] = strings.Repeat("x", 2<<20) }},
		{"context", func(ev *protocol.Event) { ev.Contexts["payload"] = map[string]any{"rows": chunks} }},
		{"message", func(ev *protocol.Event) { ev.Message = &protocol.LogEntry{Formatted: strings.Repeat("m", 2<<20)} }},
		{"frames", func(ev *protocol.Event) { ev.Exception.Values[0].Stacktrace = &protocol.Stacktrace{Frames: frames} }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			ev := fullEvent()
			c.set(ev)
			enc, err := ev.MarshalJSON()
			require.NoError(b, err)
			b.SetBytes(int64(len(enc)))
			b.ReportAllocs()
			for b.Loop() {
				e := *ev
				out, err := ToFit(&e, enc, protocol.MaxEventBytes)
				if err != nil || len(out) > protocol.MaxEventBytes {
					b.Fatal(err, len(out))
				}
			}
		})
	}
}
