package raven

import (
	"encoding/json"
	"strings"
	"testing"
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
