package raven

import (
	"encoding/hex"
	"encoding/json"
	"math/rand/v2"
	"time"
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
	Function    string   `json:"function,omitempty"`
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
	Cookies     string            `json:"cookies,omitempty"`
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

// MarshalJSON encodes the event with its timestamp as RFC 3339 in UTC.
func (e *Event) MarshalJSON() ([]byte, error) {
	type plain Event
	p := (*plain)(e)
	return json.Marshal(&struct {
		*plain
		Timestamp string `json:"timestamp"`
	}{plain: p, Timestamp: formatTime(e.Timestamp)})
}

// MarshalJSON encodes the breadcrumb with its timestamp as RFC 3339 in UTC.
func (b Breadcrumb) MarshalJSON() ([]byte, error) {
	type plain Breadcrumb
	p := plain(b)
	return json.Marshal(&struct {
		*plain
		Timestamp string `json:"timestamp"`
	}{plain: &p, Timestamp: formatTime(b.Timestamp)})
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		t = time.Now()
	}
	return t.UTC().Format("2006-01-02T15:04:05.000000Z")
}

// boolPtr returns a pointer to b.
func boolPtr(b bool) *bool { return &b }
