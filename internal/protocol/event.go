// Package protocol is the wire model of the Sentry protocol that the SDK
// speaks: events, envelopes and DSNs, with hand-written JSON encoders.
// Package raven re-exports its types under the names users write.
// https://develop.sentry.dev/sdk/data-model/
package protocol

import (
	"encoding/hex"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Level is the severity of an event or a breadcrumb.
type Level string

// The severities the protocol knows.
const (
	LevelDebug   Level = "debug"
	LevelInfo    Level = "info"
	LevelWarning Level = "warning"
	LevelError   Level = "error"
	LevelFatal   Level = "fatal"
)

// EventID identifies an event: 32 lowercase hexadecimal characters (a UUID
// version 4 without dashes). The zero value is the empty string.
type EventID string

// NewEventID returns a random version 4 event id. It does not allocate
// beyond the returned string.
func NewEventID() EventID {
	var b [16]byte
	hi, lo := rand.Uint64(), rand.Uint64()
	for i := 0; i < 8; i++ {
		b[i] = byte(hi >> (8 * i))
		b[8+i] = byte(lo >> (8 * i))
	}
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	var out [32]byte
	hex.Encode(out[:], b[:])
	return EventID(out[:])
}

// Event is one Sentry event in the v7 protocol. Fields left empty are
// omitted from the JSON.
type Event struct {
	EventID     EventID                   `json:"event_id"`
	Timestamp   time.Time                 `json:"timestamp"`
	Platform    string                    `json:"platform,omitempty"`
	Level       Level                     `json:"level,omitempty"`
	Logger      string                    `json:"logger,omitempty"`
	Transaction string                    `json:"transaction,omitempty"`
	ServerName  string                    `json:"server_name,omitempty"`
	Release     string                    `json:"release,omitempty"`
	Dist        string                    `json:"dist,omitempty"`
	Environment string                    `json:"environment,omitempty"`
	Message     *LogEntry                 `json:"logentry,omitempty"`
	Exception   *ExceptionList            `json:"exception,omitempty"`
	Threads     *ThreadList               `json:"threads,omitempty"`
	Breadcrumbs *BreadcrumbList           `json:"breadcrumbs,omitempty"`
	User        *User                     `json:"user,omitempty"`
	Request     *Request                  `json:"request,omitempty"`
	Contexts    map[string]map[string]any `json:"contexts,omitempty"`
	Tags        map[string]string         `json:"tags,omitempty"`
	Extra       map[string]any            `json:"extra,omitempty"`
	Fingerprint []string                  `json:"fingerprint,omitempty"`
	Modules     map[string]string         `json:"modules,omitempty"`
	SDK         *SDKInfo                  `json:"sdk,omitempty"`
}

// LogEntry is a log message, optionally parameterised.
type LogEntry struct {
	Message   string `json:"message,omitempty"`
	Formatted string `json:"formatted,omitempty"`
	Params    []any  `json:"params,omitempty"`
}

// ExceptionList wraps the exceptions of an event, oldest (innermost cause)
// first.
type ExceptionList struct {
	Values []Exception `json:"values"`
}

// Exception is one link of an error chain.
type Exception struct {
	Type       string      `json:"type,omitempty"`
	Value      string      `json:"value,omitempty"`
	Module     string      `json:"module,omitempty"`
	ThreadID   *uint64     `json:"thread_id,omitempty"`
	Stacktrace *Stacktrace `json:"stacktrace,omitempty"`
	Mechanism  *Mechanism  `json:"mechanism,omitempty"`
}

// Mechanism tells how an exception was captured and links the exceptions
// of a chain or a group into a tree.
type Mechanism struct {
	Type             string         `json:"type"`
	Description      string         `json:"description,omitempty"`
	Source           string         `json:"source,omitempty"`
	Handled          *bool          `json:"handled,omitempty"`
	Synthetic        bool           `json:"synthetic,omitempty"`
	IsExceptionGroup bool           `json:"is_exception_group,omitempty"`
	ExceptionID      int            `json:"exception_id"`
	ParentID         *int           `json:"parent_id,omitempty"`
	Data             map[string]any `json:"data,omitempty"`
}

// Stacktrace holds frames, oldest call first.
type Stacktrace struct {
	Frames []Frame `json:"frames"`
}

// Frame is one stack frame.
type Frame struct {
	Function string `json:"function,omitempty"`
	// RawFunction is the function's name as the runtime reports it, when
	// Function holds a normalized form of it (closure numbers, generic
	// shapes and method-value suffixes removed, so that a bug keeps its
	// group across builds); empty when the two are the same. See
	// develop.sentry.dev/sdk/data-model/event-payloads/stacktrace/.
	RawFunction string   `json:"raw_function,omitempty"`
	Module      string   `json:"module,omitempty"`
	Filename    string   `json:"filename,omitempty"`
	AbsPath     string   `json:"abs_path,omitempty"`
	Lineno      int      `json:"lineno,omitempty"`
	InApp       bool     `json:"in_app"`
	PreContext  []string `json:"pre_context,omitempty"`
	ContextLine string   `json:"context_line,omitempty"`
	PostContext []string `json:"post_context,omitempty"`
}

// ThreadList wraps the goroutines of an event (crash reports).
type ThreadList struct {
	Values []Thread `json:"values"`
}

// Thread is one goroutine of a crash report.
type Thread struct {
	ID         uint64      `json:"id"`
	Name       string      `json:"name,omitempty"`
	State      string      `json:"state,omitempty"`
	Crashed    bool        `json:"crashed,omitempty"`
	Current    bool        `json:"current,omitempty"`
	Main       bool        `json:"main,omitempty"`
	Stacktrace *Stacktrace `json:"stacktrace,omitempty"`
}

// BreadcrumbList wraps the breadcrumbs of an event, oldest first.
type BreadcrumbList struct {
	Values []Breadcrumb `json:"values"`
}

// Breadcrumb is a trail entry recorded before an event.
type Breadcrumb struct {
	Timestamp time.Time      `json:"timestamp"`
	Type      string         `json:"type,omitempty"`
	Category  string         `json:"category,omitempty"`
	Message   string         `json:"message,omitempty"`
	Level     Level          `json:"level,omitempty"`
	Data      map[string]any `json:"data,omitempty"`
}

// User identifies the user affected by an event.
type User struct {
	ID        string         `json:"id,omitempty"`
	Username  string         `json:"username,omitempty"`
	Email     string         `json:"email,omitempty"`
	IPAddress string         `json:"ip_address,omitempty"`
	Name      string         `json:"name,omitempty"`
	Segment   string         `json:"segment,omitempty"`
	Data      map[string]any `json:"data,omitempty"`
}

// Request describes the HTTP request being handled when an event occurred.
type Request struct {
	Method      string            `json:"method,omitempty"`
	URL         string            `json:"url,omitempty"`
	QueryString string            `json:"query_string,omitempty"`
	Fragment    string            `json:"fragment,omitempty"`
	Cookies     map[string]string `json:"cookies,omitempty"` // name to value
	Headers     map[string]string `json:"headers,omitempty"`
	Env         map[string]string `json:"env,omitempty"`
	Data        any               `json:"data,omitempty"`
}

// SDKInfo names the SDK that produced an event.
type SDKInfo struct {
	Name         string       `json:"name"`
	Version      string       `json:"version"`
	Integrations []string     `json:"integrations,omitempty"`
	Packages     []SDKPackage `json:"packages,omitempty"`
}

// SDKPackage is one package making up the SDK.
type SDKPackage struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// SDKName and SDKVersion identify this SDK in events and in the
// X-Sentry-Auth header.
const (
	SDKName    = "raven.go"
	SDKVersion = "0.1.0"
)

// MarshalJSON encodes the event with its timestamp as RFC 3339 in UTC,
// without reflection but for user values of types other than the common
// ones: the bytes are those encoding/json writes for the struct, with the
// timestamp and the breadcrumbs last.
func (e *Event) MarshalJSON() ([]byte, error) {
	return e.appendJSON(make([]byte, 0, e.sizeHint()))
}

// MarshalJSON encodes the breadcrumb with its timestamp as RFC 3339 in UTC.
// Breadcrumbs are the bulk of most events, so this avoids reflection for
// everything but Data values of types other than the common ones.
func (b Breadcrumb) MarshalJSON() ([]byte, error) {
	return b.appendJSON(make([]byte, 0, 96+len(b.Message)))
}

// appendJSON appends the breadcrumb's JSON encoding to buf.
func (b *Breadcrumb) appendJSON(buf []byte) ([]byte, error) {
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
		buf = append(buf, `,"data":`...)
		var err error
		if buf, err = appendAnyMap(buf, b.Data, 0); err != nil {
			return nil, err
		}
	}
	return append(buf, '}'), nil
}

// appendJSONString appends s as a JSON string, byte for byte as
// encoding/json writes it by default: <, > and & escaped for HTML, \b, \f,
// \n, \r and \t in short form, other control characters as \u00XX,
// U+2028 and U+2029 escaped, and every byte of invalid UTF-8 replaced by
// \ufffd.
func appendJSONString(buf []byte, s string) []byte {
	const hex = "0123456789abcdef"
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		if i+8 <= len(s) {
			// eight bytes at a time while none needs escaping
			if safe8(s[i : i+8]) {
				i += 8
				continue
			}
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonSafe[c] != 0 {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch c {
			case '"', '\\':
				buf = append(buf, '\\', c)
			case '\b':
				buf = append(buf, '\\', 'b')
			case '\f':
				buf = append(buf, '\\', 'f')
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default: // other control characters, <, > and &
				buf = append(buf, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			buf = append(buf, s[start:i]...)
			buf = append(buf, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}

// jsonSafe is 1 for the bytes appendJSONString copies as they are: ASCII
// but control characters, '"', '\\', '<', '>' and '&'.
var jsonSafe = func() (t [256]uint8) {
	for c := ' '; c < utf8.RuneSelf; c++ {
		if c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
			t[c] = 1
		}
	}
	return t
}()

const timeLayout = "2006-01-02T15:04:05.000000Z"

// FormatTime formats t as the protocol's timestamps are written: RFC 3339
// in UTC with microseconds.
func FormatTime(t time.Time) string { return string(appendTime(nil, t)) }

func appendTime(buf []byte, t time.Time) []byte {
	if t.IsZero() {
		t = time.Now()
	}
	t = t.UTC()
	y, mo, d := t.Date()
	h, mi, sec := t.Clock()
	if y < 0 || y > 9999 {
		return t.AppendFormat(buf, timeLayout)
	}
	// timeLayout by hand, two digits at a time: AppendFormat parses the
	// layout on every call, and every breadcrumb carries a timestamp.
	us := t.Nanosecond() / 1000
	var b [len(timeLayout)]byte
	put2(b[0:], y/100)
	put2(b[2:], y%100)
	b[4] = '-'
	put2(b[5:], int(mo))
	b[7] = '-'
	put2(b[8:], d)
	b[10] = 'T'
	put2(b[11:], h)
	b[13] = ':'
	put2(b[14:], mi)
	b[16] = ':'
	put2(b[17:], sec)
	b[19] = '.'
	put2(b[20:], us/10000)
	put2(b[22:], us/100%100)
	put2(b[24:], us%100)
	b[26] = 'Z'
	return append(buf, b[:]...)
}

// put2 writes v (0 to 99) as two decimal digits at the start of b.
func put2(b []byte, v int) {
	const digits = "00010203040506070809101112131415161718192021222324252627282930313233343536373839" +
		"40414243444546474849505152535455565758596061626364656667686970717273747576777879" +
		"8081828384858687888990919293949596979899"
	_ = b[1]
	b[0], b[1] = digits[2*v], digits[2*v+1]
}

// MarshalJSON encodes the frames without reflection: stacks are the bulk
// of most events. The output is what encoding/json would produce.
func (s *Stacktrace) MarshalJSON() ([]byte, error) {
	return s.appendJSON(make([]byte, 0, 64+256*len(s.Frames))), nil
}

// appendJSON appends the stack's JSON encoding to buf.
func (s *Stacktrace) appendJSON(buf []byte) []byte {
	buf = append(buf, `{"frames":[`...)
	for i := range s.Frames {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = s.Frames[i].appendJSON(buf)
	}
	return append(buf, "]}"...)
}

func (f *Frame) appendJSON(buf []byte) []byte {
	buf = append(buf, '{')
	first := true
	field := func(k string) {
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = append(buf, '"')
		buf = append(buf, k...)
		buf = append(buf, '"', ':')
	}
	str := func(k, v string) {
		if v != "" {
			field(k)
			buf = appendJSONString(buf, v)
		}
	}
	list := func(k string, v []string) {
		if len(v) > 0 {
			field(k)
			buf = append(buf, '[')
			for i, s := range v {
				if i > 0 {
					buf = append(buf, ',')
				}
				buf = appendJSONString(buf, s)
			}
			buf = append(buf, ']')
		}
	}
	str("function", f.Function)
	str("raw_function", f.RawFunction)
	str("module", f.Module)
	str("filename", f.Filename)
	str("abs_path", f.AbsPath)
	if f.Lineno != 0 {
		field("lineno")
		buf = strconv.AppendInt(buf, int64(f.Lineno), 10)
	}
	field("in_app")
	buf = strconv.AppendBool(buf, f.InApp)
	list("pre_context", f.PreContext)
	str("context_line", f.ContextLine)
	list("post_context", f.PostContext)
	return append(buf, '}')
}

// Clamp returns s cut to at most n bytes (plus a marker) at a rune
// boundary, with invalid UTF-8 replaced.
func Clamp(s string, n int) string {
	if len(s) > n {
		cut := n
		for cut > 0 && cut > n-4 && s[cut]&0xC0 == 0x80 {
			cut--
		}
		s = s[:cut] + "…"
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
