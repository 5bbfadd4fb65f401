package protocol

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// What the size budget (internal/trim) needs to measure and shorten an
// event without encoding it again for every step: the encoded size of a
// string or a value, the longest prefix of a string that fits a size, and
// the encoders of one frame and one breadcrumb.

// escapedLen returns how many bytes appendJSONString writes for the rune
// at the start of s, and how many bytes of s that rune takes.
func escapedLen(s string) (out, in int) {
	c := s[0]
	if c < utf8.RuneSelf {
		switch {
		case jsonSafe[c] != 0:
			return 1, 1
		case c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t':
			return 2, 1
		default:
			return 6, 1
		}
	}
	r, size := utf8.DecodeRuneInString(s)
	switch {
	case r == utf8.RuneError && size == 1:
		return 6, 1 // \ufffd
	case r == '\u2028' || r == '\u2029':
		return 6, size
	}
	return size, size
}

// safe8 reports whether none of the eight bytes of w needs escaping.
func safe8(w string) bool {
	return jsonSafe[w[0]]&jsonSafe[w[1]]&jsonSafe[w[2]]&jsonSafe[w[3]]&
		jsonSafe[w[4]]&jsonSafe[w[5]]&jsonSafe[w[6]]&jsonSafe[w[7]] != 0
}

// JSONStringSize returns the length of s encoded as a JSON string, quotes
// included, as the event encoder writes it.
func JSONStringSize(s string) int {
	n := 2
	for i := 0; i < len(s); {
		if i+8 <= len(s) {
			// eight bytes at a time while none needs escaping
			if safe8(s[i : i+8]) {
				n += 8
				i += 8
				continue
			}
		}
		if jsonSafe[s[i]] != 0 {
			n++
			i++
			continue
		}
		out, in := escapedLen(s[i:])
		n += out
		i += in
	}
	return n
}

// FitPrefix returns the length of the longest prefix of s, cut at a rune
// boundary, whose encoding as a JSON string (quotes included) takes at
// most max bytes; 0 when not even the empty string fits.
func FitPrefix(s string, max int) int {
	left := max - 2
	i := 0
	for i < len(s) && left > 0 {
		if i+8 <= len(s) && left >= 8 {
			if safe8(s[i : i+8]) {
				left -= 8
				i += 8
				continue
			}
		}
		if jsonSafe[s[i]] != 0 {
			left--
			i++
			continue
		}
		out, in := escapedLen(s[i:])
		if out > left {
			break
		}
		left -= out
		i += in
	}
	return i
}

// AppendValue appends v as encoding/json would write it (see the event
// encoder): the encoding the size budget measures user values by.
func AppendValue(buf []byte, v any) ([]byte, error) { return appendValue(buf, v, 0) }

// AppendJSON appends the frame's JSON encoding to buf.
func (f *Frame) AppendJSON(buf []byte) []byte { return f.appendJSON(buf) }

// AppendJSON appends the breadcrumb's JSON encoding to buf.
func (b *Breadcrumb) AppendJSON(buf []byte) ([]byte, error) { return b.appendJSON(buf) }

const (
	cutPrefix = "...["
	cutSuffix = " bytes cut]"
)

// CutMarker returns the marker that ends a string cut short by n bytes:
// "...[1,234,567 bytes cut]".
func CutMarker(n int) string {
	digits := strconv.Itoa(n)
	b := make([]byte, 0, len(cutPrefix)+len(digits)*4/3+len(cutSuffix))
	b = append(b, cutPrefix...)
	for i := range len(digits) {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, digits[i])
	}
	return string(append(b, cutSuffix...))
}

// SplitCutMarker returns s without the CutMarker it ends with and the
// bytes that marker says were cut; s and 0 when it ends with none.
func SplitCutMarker(s string) (string, int) {
	if !strings.HasSuffix(s, cutSuffix) {
		return s, 0
	}
	i := strings.LastIndex(s, cutPrefix)
	if i < 0 {
		return s, 0
	}
	digits := strings.ReplaceAll(s[i+len(cutPrefix):len(s)-len(cutSuffix)], ",", "")
	n, err := strconv.Atoi(digits)
	if err != nil || n < 0 || CutMarker(n) != s[i:] {
		return s, 0
	}
	return s[:i], n
}

// CutString returns s when it is at most max bytes long, else its first
// max bytes (cut at a rune boundary) followed by a CutMarker saying how
// many bytes were cut. Invalid UTF-8 is replaced.
func CutString(s string, max int) string {
	if len(s) <= max {
		return strings.ToValidUTF8(s, "\uFFFD")
	}
	n := max
	for n > 0 && !utf8.RuneStart(s[n]) && n > max-utf8.UTFMax {
		n--
	}
	return strings.ToValidUTF8(s[:n], "\uFFFD") + CutMarker(len(s)-n)
}
