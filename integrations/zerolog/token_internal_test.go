package ravenzerolog

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"testing"

	"github.com/stretchr/testify/require"

	"github.com/stretchr/testify/assert"
)

func TestFindToken(t *testing.T) {
	cases := []struct {
		name, line, want string
		id               uint64
		found            bool
	}{
		{"after fields", `{"level":"info","_raven":12,"message":"m"}`, `{"level":"info","message":"m"}`, 12, true},
		{"last field", `{"level":"info","_raven":7}`, `{"level":"info"}`, 7, true},
		{"first field", `{"_raven":3,"message":"m"}`, `{"message":"m"}`, 3, true},
		{"only field", `{"_raven":3}`, `{}`, 3, true},
		{"none", `{"level":"info","message":"m"}`, "", 0, false},
		{"quoted in a value", `{"message":"\"_raven\":4"}`, "", 0, false},
		{"not a number", `{"level":"info","_raven":"x"}`, "", 0, false},
		{"no end", `{"level":"info","_raven":5`, "", 0, false},
		{"too large", `{"level":"info","_raven":99999999999999999999999}`, "", 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := []byte(tc.line)
			i, j, id, ok := findToken(p)
			assert.Equal(t, tc.found, ok)
			if ok {
				assert.Equal(t, tc.id, id)
				assert.Equal(t, tc.want, string(p[:i])+string(p[j:]))
			}
		})
	}
}

// TestDecode holds the line reader to what encoding/json reads.
func TestDecode(t *testing.T) {
	lines := []string{
		`{}`,
		`{"level":"info","message":"m"}`,
		`{"level":"info","time":"2026-01-02T03:04:05Z","a":"b","n":-1.5e3,"t":true,"f":false,"z":null,"message":"m"}`,
		`{"esc\"key":"v\\al\"ue\u00e9","o":{"x":[1,{"y":"}"}],"s":"]"},"arr":[],"message":"a \"quoted\" message"}`,
		` { "sp" : 1 , "message" : "x" } `,
		`{"big":123456789012345678901234567890}`,
	}
	for _, line := range lines {
		t.Run(line, func(t *testing.T) {
			msg, fields, ok := decode([]byte(line), nil)
			require.True(t, ok)
			var want map[string]any
			dec := json.NewDecoder(strings.NewReader(line))
			dec.UseNumber()
			require.NoError(t, dec.Decode(&want))
			wantMsg, _ := want["message"].(string)
			assert.Equal(t, wantMsg, msg)
			delete(want, "message")
			delete(want, "level")
			delete(want, "time")
			normInts(want)
			if len(want) == 0 {
				want = nil
			}
			assert.Equal(t, want, fields)
		})
	}
	for _, bad := range []string{``, `[]`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{"a":"x`, `{"a":{"b":1}`, `{"a":1 "b":2}`, `{"a":x}`} {
		_, _, ok := decode([]byte(bad), nil)
		assert.False(t, ok, bad)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(`{"level":"info","a":{"b":[1,"x"]},"message":"m"}`)
	f.Add(`{"esc\"key":"v\\al\"ue"}`)
	f.Fuzz(func(t *testing.T, line string) {
		msg, fields, ok := decode([]byte(line), nil)
		if !ok {
			return
		}
		// whatever decode accepts as an object, encoding/json agrees on
		var want map[string]any
		dec := json.NewDecoder(strings.NewReader(line))
		dec.UseNumber()
		if err := dec.Decode(&want); err != nil {
			return // decode is lenient on what follows the object and on number syntax
		}
		normInts(want)
		for k, v := range fields {
			if k == "message" || k == "level" || k == "time" {
				continue
			}
			assert.Equal(t, want[k], v, k)
		}
		if m, isStr := want["message"].(string); isStr {
			assert.Equal(t, m, msg)
		}
	})
}

// normInts turns top-level integers that fit an int64 into int64, as
// decode reads them.
func normInts(m map[string]any) {
	for k, v := range m {
		if n, ok := v.(json.Number); ok && !strings.ContainsAny(string(n), ".eE") {
			if i, err := n.Int64(); err == nil {
				m[k] = i
			}
		}
	}
}

// FuzzFindToken holds findToken to what a plain search finds: the last
// `"_raven":` key followed by a decimal uint64 and a ',' or '}'.
func FuzzFindToken(f *testing.F) {
	for _, s := range []string{`{"a":1,"_raven":7}`, `{"_raven":7,"b":"_"}`, `{"x_y":"_raven","_raven":18446744073709551615}`,
		`{"_raven":18446744073709551616}`, `_raven":1}`, `{"_raven_":1,"_raven":2,"m":"a_b"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		i, j, id, ok := findToken(p)
		k := bytes.LastIndex(p, []byte(tokenField))
		if k <= 0 {
			if ok {
				t.Fatalf("found a token in %q", p)
			}
			return
		}
		d := k + len(tokenField)
		e := d
		for e < len(p) && p[e] >= '0' && p[e] <= '9' {
			e++
		}
		want, err := strconv.ParseUint(string(p[d:e]), 10, 64)
		valid := err == nil && e < len(p) && (p[e] == ',' || p[e] == '}') &&
			(p[k-1] == ',' || p[k-1] == '{')
		if ok != valid {
			t.Fatalf("findToken(%q) ok=%v, want %v", p, ok, valid)
		}
		if ok && (id != want || i > k || j < e) {
			t.Fatalf("findToken(%q) = %d, %d, %d; key at %d, value %d", p, i, j, id, k, want)
		}
	})
}
