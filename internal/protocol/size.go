package protocol

import "unicode/utf8"

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
