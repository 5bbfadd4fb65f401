package uservalue

import (
	"encoding/json"
	"errors"
	"math"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ravenkit/raven/internal/protocol"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type walkInner struct {
	City string `json:"city"`
}

type walkEmbedded struct {
	Region string
}

type walkStruct struct {
	Name     string            `json:"name"`
	Skipped  string            `json:"-"`
	Empty    string            `json:"empty,omitempty"`
	Password string            `json:"password"`
	Inner    *walkInner        `json:"inner"`
	Labels   map[string]string `json:"labels"`
	hidden   string
	walkEmbedded
}

type walkNode struct {
	Name string
	Next *walkNode
	Kids []*walkNode
}

type panicMarshaler struct{}

func (panicMarshaler) MarshalJSON() ([]byte, error) { panic("marshal exploded") }

type hugeMarshaler struct{}

func (hugeMarshaler) MarshalJSON() ([]byte, error) {
	return []byte(`"` + strings.Repeat("x", MaxMarshaledBytes) + `"`), nil
}

type objMarshaler struct{ secret string }

func (o objMarshaler) MarshalJSON() ([]byte, error) {
	return []byte(`{"token":"` + o.secret + `","n":1.50}`), nil
}

type panickyText struct{}

func (panickyText) MarshalText() ([]byte, error) { panic(map[string]any{"not": "printed"}) }

type panicError struct{}

func (panicError) Error() string { panic("error exploded") }

type recursivePtr *recursivePtr

// depthOf is the nesting depth of plain data (a scalar is 0).
func depthOf(v any) int {
	d := 0
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			d = max(d, depthOf(e))
		}
		return d + 1
	case []any:
		for _, e := range x {
			d = max(d, depthOf(e))
		}
		return d + 1
	}
	return 0
}

// nested returns n maps nested in each other around leaf.
func nested(n int, leaf any) any {
	v := leaf
	for i := 0; i < n; i++ {
		v = map[string]any{"n": v}
	}
	return v
}

func TestPlainValue(t *testing.T) {
	cyclicMap := map[string]any{"a": 1}
	cyclicMap["self"] = cyclicMap
	cyclicSlice := []any{1, nil}
	cyclicSlice[1] = cyclicSlice
	loop := &walkNode{Name: "a"}
	loop.Next = &walkNode{Name: "b", Next: loop}
	shared := map[string]any{"x": 1}
	var rp recursivePtr
	rp = &rp
	indirect := map[string]any{}
	indirect["m"] = map[string]any{"back": &indirect}
	wide := make([]int, MaxBreadth+5)
	wideMap := map[int]bool{}
	for i := 0; i < MaxBreadth+3; i++ {
		wideMap[i] = true
	}

	cases := []struct {
		name string
		in   any
		want any
	}{
		{"nil", nil, nil},
		{"string", "s", "s"},
		{"long string clamped", strings.Repeat("a", protocol.MaxValueBytes+10), strings.Repeat("a", protocol.MaxValueBytes) + "…"},
		{"int kinds", []any{1, int8(-2), uint16(3), uint64(math.MaxUint64), uintptr(4)},
			[]any{int64(1), int64(-2), int64(3), json.Number("18446744073709551615"), int64(4)}},
		{"floats", []any{1.5, float32(0.1), math.NaN(), math.Inf(1), math.Inf(-1)},
			[]any{1.5, json.Number("0.1"), "NaN", "+Inf", "-Inf"}},
		{"complex", complex(1, 2), "(1+2i)"},
		{"time", time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), "2026-01-02T03:04:05.000000006Z"},
		{"bytes", []byte("hi"), "aGk="},
		{"json number", json.Number("12.5"), json.Number("12.5")},
		{"bad json number", json.Number("0x10"), "0x10"},
		{"struct by json rules", walkStruct{Name: "n", Skipped: "s", Password: "p", Inner: &walkInner{City: "c"},
			Labels: map[string]string{"k": "v"}, hidden: "h", walkEmbedded: walkEmbedded{Region: "r"}},
			map[string]any{"name": "n", "password": "p", "inner": map[string]any{"city": "c"},
				"labels": map[string]any{"k": "v"}, "Region": "r"}},
		{"pointer to struct", &walkInner{City: "c"}, map[string]any{"city": "c"}},
		{"typed nil pointer", (*walkInner)(nil), nil},
		{"map keys", map[any]int{1: 1, "s": 2, netip.MustParseAddr("1.2.3.4"): 3, 1.5: 4},
			map[string]any{"1": int64(1), "s": int64(2), "1.2.3.4": int64(3), "1.5": int64(4)}},
		{"marshaler decoded and walked", objMarshaler{"t"}, map[string]any{"token": "t", "n": json.Number("1.50")}},
		{"marshaler panicking", []any{panicMarshaler{}, "next"},
			[]any{"[uservalue.panicMarshaler: MarshalJSON panicked: marshal exploded]", "next"}},
		{"marshaler failing", failingJSON{}, "[uservalue.failingJSON: MarshalJSON failed: cannot encode]"},
		{"marshaler writing invalid JSON", badJSON{}, "[uservalue.badJSON: MarshalJSON wrote invalid JSON]"},
		{"marshaler writing too much", hugeMarshaler{}, "[uservalue.hugeMarshaler: MarshalJSON output over the size limit]"},
		{"text marshaler", textMarshalerValue{"a"}, "text:a<"},
		{"text marshaler panicking with a map", panickyText{}, "[uservalue.panickyText: MarshalText panicked: map[string]interface {}]"},
		{"error", errors.New("boom"), "boom"},
		{"error panicking", panicError{}, "<uservalue.panicError: Error() panicked>"},
		{"unsupported", []any{make(chan int), func() {}}, []any{"[unsupported: chan int]", "[unsupported: func()]"}},
		{"cyclic map", cyclicMap, map[string]any{"a": int64(1), "self": "[cycle]"}},
		{"cyclic slice", cyclicSlice, []any{int64(1), "[cycle]"}},
		{"cyclic pointers", loop, map[string]any{"Name": "a", "Kids": nil,
			"Next": map[string]any{"Name": "b", "Kids": nil, "Next": "[cycle]"}}},
		{"cycle through a pointer to a map", indirect, map[string]any{"m": map[string]any{"back": "[cycle]"}}},
		{"recursive pointer type", rp, "[cycle]"},
		{"shared value is not a cycle", []any{shared, shared}, []any{map[string]any{"x": int64(1)}, map[string]any{"x": int64(1)}}},
		{"depth limit kept", nested(MaxDepth, "leaf"), nested(MaxDepth, "leaf")},
		{"depth limit cut", nested(MaxDepth+1, "leaf"), nested(MaxDepth, PlaceholderDepth)},
		{"10000 deep", nested(10000, "leaf"), nested(MaxDepth, PlaceholderDepth)},
		{"slice breadth", wide, append(func() []any {
			out := make([]any, MaxBreadth)
			for i := range out {
				out[i] = int64(0)
			}
			return out
		}(), "[5 more items]")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := PlainValue(tc.in)
			assert.Equal(t, tc.want, got)
			_, err := json.Marshal(got)
			require.NoError(t, err)
		})
	}

	t.Run("map breadth", func(t *testing.T) {
		got := PlainValue(wideMap).(map[string]any)
		assert.Len(t, got, MaxBreadth+1)
		assert.Equal(t, "3 more keys", got[PlaceholderTruncated])
	})
	t.Run("node budget", func(t *testing.T) {
		row := make([]any, MaxBreadth)
		for i := range row {
			row[i] = i
		}
		grid := make([]any, 100)
		for i := range grid {
			grid[i] = row // shared: 100 000 values to write
		}
		got := PlainValue(grid).([]any)
		n := 0
		for _, r := range got {
			if s, ok := r.(string); ok {
				assert.Equal(t, PlaceholderSize, s)
				continue
			}
			for _, x := range r.([]any) {
				if x != PlaceholderSize {
					n++
				}
			}
		}
		assert.Less(t, n, MaxNodes)
		assert.Greater(t, n, MaxNodes-2*MaxBreadth)
	})
	t.Run("byte budget", func(t *testing.T) {
		big := make([]string, 500)
		for i := range big {
			big[i] = strings.Repeat("x", protocol.MaxValueBytes)
		}
		got := PlainValue(big).([]any)
		total, cut := 0, 0
		for _, x := range got {
			s := x.(string)
			total += len(s)
			if s == PlaceholderSize {
				cut++
			}
		}
		assert.LessOrEqual(t, total, protocol.MaxEventBytes+len(PlaceholderSize)*cut)
		assert.Greater(t, cut, 300)
	})
	t.Run("byte budget spent on scalars first", func(t *testing.T) {
		big := make([]any, 200)
		for i := range big {
			big[i] = strings.Repeat("x", protocol.MaxValueBytes)
		}
		for range 20 { // map order varies
			got := PlainValue(map[string]any{"big": big, "id": "A-1", "n": int64(7)}).(map[string]any)
			assert.Equal(t, "A-1", got["id"], "the huge member costs only itself")
			assert.Equal(t, int64(7), got["n"])
			assert.Contains(t, got["big"], PlaceholderSize)
		}
	})
	t.Run("without methods", func(t *testing.T) {
		w := NewWalker(false)
		got := w.Value(map[string]any{"m": objMarshaler{"t"}, "e": errors.New("x"), "t": time.Unix(0, 0).UTC()}, 0)
		assert.Equal(t, map[string]any{"m": "[uservalue.objMarshaler]", "e": "[*errors.errorString]",
			"t": "1970-01-01T00:00:00Z"}, got)
	})
}

func TestPlainValueDoesNotModifyInput(t *testing.T) {
	in := map[string]any{"a": []any{1, map[string]any{"b": math.NaN()}}}
	_ = PlainValue(in)
	assert.True(t, math.IsNaN(in["a"].([]any)[1].(map[string]any)["b"].(float64)))
}

func TestDescribeValue(t *testing.T) {
	cyclic := map[string]any{}
	cyclic["self"] = cyclic
	cases := []struct {
		name string
		in   any
		want string
	}{
		{"string", "boom", "boom"},
		{"error", errors.New("e"), "e"},
		{"flat struct", struct{ Code int }{7}, "{7}"},
		{"number", 3, "3"},
		{"cyclic map", cyclic, `{"self":"[cycle]"}`},
		{"struct with a pointer", walkNode{Name: "n"}, `{"Kids":null,"Name":"n","Next":null}`},
		{"error panicking", panicError{}, "<uservalue.panicError: Error() panicked>"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { assert.Equal(t, tc.want, Describe(tc.in)) })
	}
}

// FuzzPlainValue builds nested values (maps, slices, pointers to
// structs, cycles back to any ancestor, shared branches, floats JSON
// cannot hold) from the fuzzer's bytes and checks that the walk returns
// encodable data within its bounds.
func FuzzPlainValue(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 5, 5})
	f.Add([]byte{1, 1, 1, 6, 2, 7, 0, 5, 3, 8, 9, 4})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 4096 {
			return
		}
		root := buildFuzzValue(data)
		got := PlainValue(root)
		b, err := json.Marshal(got)
		require.NoError(t, err)
		require.LessOrEqual(t, depthOf(got), MaxDepth+1)
		require.Less(t, len(b), 64<<20)
	})
}

// buildFuzzValue interprets data as operations on a stack of open
// containers.
func buildFuzzValue(data []byte) any {
	type box struct{ V any }
	root := map[string]any{}
	stack := []any{root}
	add := func(v any) {
		switch top := stack[len(stack)-1].(type) {
		case map[string]any:
			top[string(rune('a'+len(top)%26))+string(rune('0'+len(top)/26%10))] = v
		case *[]any:
			*top = append(*top, v)
		case *box:
			top.V = v
		}
	}
	asValue := func(c any) any {
		if p, ok := c.(*[]any); ok {
			return *p
		}
		return c
	}
	for i, op := range data {
		switch op % 10 {
		case 0: // open a map
			m := map[string]any{}
			add(m)
			stack = append(stack, m)
		case 1: // open a slice (built in place; its final header is stored on close)
			s := &[]any{}
			stack = append(stack, s)
		case 2: // close
			if len(stack) > 1 {
				top := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				if s, ok := top.(*[]any); ok {
					add(*s)
				}
			}
		case 3:
			add(strings.Repeat("s", int(op)))
		case 4:
			add(float64(i) / 3)
		case 5: // a cycle back to an ancestor
			anc := stack[int(op)%len(stack)]
			add(asValue(anc))
			if s, ok := anc.(*[]any); ok {
				add(s) // a pointer to the slice being built
			}
		case 6:
			add(math.NaN())
		case 7: // a pointer to a struct holding the next value
			b := &box{}
			add(b)
			stack = append(stack, b)
		case 8: // a shared branch: the root again, twice
			add(root)
			add(root)
		case 9:
			add([]byte{op})
		}
	}
	return root
}

// TestPlainEvent checks which parts of an event are walked, and that the
// event's maps are replaced, never modified.
func TestPlainEvent(t *testing.T) {
	cyclic := map[string]any{}
	cyclic["self"] = cyclic
	body := strings.Repeat("b", 3*protocol.MaxValueBytes)
	extra := map[string]any{"c": cyclic}
	ev := &protocol.Event{
		Extra:       extra,
		Contexts:    map[string]map[string]any{"x": {"c": cyclic}},
		User:        &protocol.User{ID: "u", Data: map[string]any{"c": cyclic}},
		Request:     &protocol.Request{Data: body},
		Breadcrumbs: &protocol.BreadcrumbList{Values: []protocol.Breadcrumb{{Message: "m", Data: map[string]any{"c": cyclic}}}},
		Message:     &protocol.LogEntry{Params: []any{cyclic}},
		Exception:   &protocol.ExceptionList{Values: []protocol.Exception{{Mechanism: &protocol.Mechanism{Data: map[string]any{"c": cyclic}}}}},
	}
	assert.Equal(t, 6, PlainEvent(ev, true), "one placeholder per cycle")
	want := map[string]any{"self": "[cycle]"}
	assert.Equal(t, want, ev.Extra["c"])
	assert.Equal(t, want, ev.Contexts["x"]["c"])
	assert.Equal(t, want, ev.User.Data["c"])
	assert.Equal(t, want, ev.Breadcrumbs.Values[0].Data["c"])
	assert.Equal(t, []any{want}, ev.Message.Params)
	assert.Equal(t, want, ev.Exception.Values[0].Mechanism.Data["c"])
	assert.Equal(t, body, ev.Request.Data, "a raw body is kept whole")
	assert.Equal(t, any(cyclic), extra["c"], "the caller's map is not modified")
	_, err := ev.MarshalJSON()
	require.NoError(t, err)

	ev = &protocol.Event{Request: &protocol.Request{Data: map[string]any{"c": cyclic}}}
	PlainEvent(ev, true)
	assert.Equal(t, map[string]any{"c": want}, ev.Request.Data)
}

type textMarshalerValue struct{ s string }

func (v textMarshalerValue) MarshalText() ([]byte, error) { return []byte("text:" + v.s + "<"), nil }

type badJSON struct{}

func (badJSON) MarshalJSON() ([]byte, error) { return []byte(`{"unterminated"`), nil }

type failingJSON struct{}

func (failingJSON) MarshalJSON() ([]byte, error) { return nil, errors.New("cannot encode") }
