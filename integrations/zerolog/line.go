// This file reads the top level of a zerolog JSON line without encoding/json.

package ravenzerolog

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"github.com/rs/zerolog"
)

// findToken finds the hook's field in a line: p[i:j] is what to remove.
func findToken(p []byte) (i, j int, id uint64, ok bool) {
	k := lastKey(p)
	if k <= 0 {
		return 0, 0, 0, false
	}
	d := k + len(tokenField)
	e := d
	for e < len(p) && p[e] >= '0' && p[e] <= '9' {
		e++
	}
	if e == d || e >= len(p) || (p[e] != ',' && p[e] != '}') {
		return 0, 0, 0, false
	}
	if e-d <= maxTokenDigits {
		for _, c := range p[d:e] {
			id = id*10 + uint64(c-'0')
		}
	} else {
		var err error
		if id, err = strconv.ParseUint(string(p[d:e]), 10, 64); err != nil {
			return 0, 0, 0, false
		}
	}
	switch {
	case p[k-1] == ',':
		return k - 1, e, id, true
	case p[k-1] == '{' && p[e] == ',':
		return k, e + 1, id, true
	case p[k-1] == '{':
		return k, e, id, true
	}
	return 0, 0, 0, false
}

// tokenField is how the hook's field starts in a line.
const tokenField = `"` + tokenKey + `":`

// maxTokenDigits is how many digits a token may have that never overflow
// a uint64; longer ones are parsed with their bounds checked.
const maxTokenDigits = 19

// lastKey returns where the last tokenField in p starts, or -1. The field
// is at the end of the line, behind the message at most: looking back
// from the end for its underscore is shorter work than a search for the
// whole key.
func lastKey(p []byte) int {
	for end := len(p); ; {
		u := bytes.LastIndexByte(p[:end], '_')
		if u < 1 {
			return -1
		}
		if bytes.HasPrefix(p[u-1:], []byte(tokenField)) {
			return u - 1
		}
		end = u
	}
}

// decode reads the message and the other fields of a JSON line, leaving
// out the level and time fields; integers that fit become int64, other
// numbers stay json.Number. It reads the
// top level itself and hands only nested objects and arrays to
// encoding/json. Keys and the message come from in (nil: copied).
func decode(line []byte, in *interner) (msg string, fields map[string]any, ok bool) {
	i := skipSpace(line, 0)
	if i >= len(line) || line[i] != '{' {
		return "", nil, false
	}
	i = skipSpace(line, i+1)
	if i < len(line) && line[i] == '}' {
		return "", nil, true
	}
	for i < len(line) {
		if line[i] != '"' {
			return "", nil, false
		}
		ke := skipValue(line, i)
		if ke < 0 {
			return "", nil, false
		}
		// the key is compared before it is copied: most are dropped
		kraw := line[i+1 : ke-1]
		var key string
		if bytes.IndexByte(kraw, '\\') >= 0 || !utf8.Valid(kraw) {
			k, kok := unquote(line[i:ke])
			if !kok {
				return "", nil, false
			}
			kraw = []byte(k)
		}
		i = skipSpace(line, ke)
		if i >= len(line) || line[i] != ':' {
			return "", nil, false
		}
		vs := skipSpace(line, i+1)
		ve := skipValue(line, vs)
		if ve < 0 {
			return "", nil, false
		}
		switch string(kraw) {
		case zerolog.LevelFieldName, zerolog.TimestampFieldName:
		case zerolog.MessageFieldName:
			if q := line[vs:ve]; len(q) >= 2 && q[0] == '"' && bytes.IndexByte(q, '\\') < 0 && utf8.Valid(q) {
				msg = in.get(q[1 : len(q)-1])
			} else if s, sok := unquote(q); sok {
				msg = s
			}
		default:
			v, vok := jsonValue(line[vs:ve])
			if !vok {
				return "", nil, false
			}
			if fields == nil {
				fields = make(map[string]any, 4)
			}
			key = in.get(kraw)
			fields[key] = v
		}
		i = skipSpace(line, ve)
		if i < len(line) && line[i] == ',' {
			i = skipSpace(line, i+1)
			continue
		}
		if i < len(line) && line[i] == '}' {
			return msg, fields, true
		}
		return "", nil, false
	}
	return "", nil, false
}

func skipSpace(p []byte, i int) int {
	for i < len(p) && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the end of the JSON value starting at p[i], or -1.
func skipValue(p []byte, i int) int {
	if i >= len(p) {
		return -1
	}
	switch p[i] {
	case '"':
		for j := i + 1; j < len(p); j++ {
			switch p[j] {
			case '\\':
				j++
			case '"':
				return j + 1
			}
		}
		return -1
	case '{', '[':
		depth := 0
		for j := i; j < len(p); j++ {
			switch p[j] {
			case '"':
				e := skipValue(p, j)
				if e < 0 {
					return -1
				}
				j = e - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	}
	j := i
	for j < len(p) && p[j] != ',' && p[j] != '}' && p[j] != ']' && p[j] != ' ' && p[j] != '\n' && p[j] != '\t' && p[j] != '\r' {
		j++
	}
	if j == i {
		return -1
	}
	return j
}

// unquote returns the string a JSON string literal holds.
func unquote(q []byte) (string, bool) {
	if len(q) < 2 || q[0] != '"' || q[len(q)-1] != '"' {
		return "", false
	}
	if bytes.IndexByte(q, '\\') < 0 && utf8.Valid(q) {
		return string(q[1 : len(q)-1]), true
	}
	var s string
	if err := json.Unmarshal(q, &s); err != nil {
		return "", false
	}
	return s, true
}

// jsonValue returns the value a JSON literal holds.
func jsonValue(raw []byte) (any, bool) {
	switch raw[0] {
	case '"':
		return unquote(raw)
	case 't':
		return true, string(raw) == "true"
	case 'f':
		return false, string(raw) == "false"
	case 'n':
		return nil, string(raw) == "null"
	case '{', '[':
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, false
		}
		return v, true
	}
	if c := raw[0]; c != '-' && (c < '0' || c > '9') {
		return nil, false
	}
	if !bytes.ContainsAny(raw, ".eE") {
		// an integer: no string to keep (small ones are not even boxed)
		if n, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
			return n, true
		}
	}
	return json.Number(string(raw)), true
}
