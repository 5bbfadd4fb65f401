package protocol

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

var sizeCases = []string{"", "plain", `quote " and \ back`, "<html>&amp;</html>", "tab\tnew\nline\x01",
	"é漢字🙂", "bad \xff\xfe utf8", "line\u2028sep\u2029", strings.Repeat("a<", 50)}

func TestJSONStringSizeMatchesTheEncoder(t *testing.T) {
	for _, s := range sizeCases {
		assert.Equal(t, len(appendJSONString(nil, s)), JSONStringSize(s), "%q", s)
	}
}

func TestFitPrefix(t *testing.T) {
	for _, s := range sizeCases {
		for max := 0; max <= JSONStringSize(s)+2; max++ {
			n := FitPrefix(s, max)
			checkPrefix(t, s, max, n)
		}
	}
}

// checkPrefix asserts that s[:n] is the longest prefix at a rune boundary
// encoding in max bytes.
func checkPrefix(t *testing.T, s string, max, n int) {
	t.Helper()
	at := 0 // n must be where a rune (or an invalid byte) starts
	for at < n {
		_, size := utf8.DecodeRuneInString(s[at:])
		at += size
	}
	assert.Equal(t, n, at, "%q cut inside a rune at %d", s, n)
	if n > 0 || max >= 2 {
		assert.LessOrEqual(t, JSONStringSize(s[:n]), max, "%q max %d", s, max)
	}
	if n < len(s) {
		_, size := utf8.DecodeRuneInString(s[n:])
		assert.Greater(t, JSONStringSize(s[:n+size]), max, "%q max %d: one more rune fits", s, max)
	}
}

func FuzzJSONStringSize(f *testing.F) {
	for _, s := range sizeCases {
		f.Add(s, 10)
	}
	f.Fuzz(func(t *testing.T, s string, max int) {
		if JSONStringSize(s) != len(appendJSONString(nil, s)) {
			t.Fatalf("size of %q", s)
		}
		if max < 0 || max > len(s)*6+2 {
			return
		}
		checkPrefix(t, s, max, FitPrefix(s, max))
	})
}

func TestCutString(t *testing.T) {
	assert.Equal(t, "short", CutString("short", 10))
	assert.Equal(t, "a\uFFFDb", CutString("a\xffb", 10))
	assert.Equal(t, "abc...[3 bytes cut]", CutString("abcdef", 3))
	assert.Equal(t, "é...[4 bytes cut]", CutString("ééé", 3), "cut at a rune boundary")
	assert.Equal(t, "...[1,234,567 bytes cut]", CutMarker(1234567))

	s, n := SplitCutMarker(CutString(strings.Repeat("x", 5000), 1000))
	assert.Equal(t, strings.Repeat("x", 1000), s)
	assert.Equal(t, 4000, n)
	for _, plain := range []string{"", "abc", "... bytes cut]", "x...[12 bytes cut]y", "x...[1,2 bytes cut]", "x...[-1 bytes cut]"} {
		s, n := SplitCutMarker(plain)
		assert.Equal(t, plain, s)
		assert.Zero(t, n)
	}
}
