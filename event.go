package raven

import "github.com/ravenkit/raven/internal/protocol"

// The event model and the envelope are defined in internal/protocol, where
// the SDK's mechanisms share them; these aliases are the names users
// write. Field documentation is on the aliased types.

// Level is the severity of an event or a breadcrumb.
type Level = protocol.Level

// Levels, in increasing severity.
const (
	LevelDebug   = protocol.LevelDebug
	LevelInfo    = protocol.LevelInfo
	LevelWarning = protocol.LevelWarning
	LevelError   = protocol.LevelError
	LevelFatal   = protocol.LevelFatal
)

// EventID is an event's id: 32 lowercase hex digits (a UUID without
// dashes).
type EventID = protocol.EventID

// NewEventID returns a random (version 4) event id.
func NewEventID() EventID { return protocol.NewEventID() }

// Event is one Sentry event in the v7 protocol. Fields left empty are
// omitted from the JSON.
type Event = protocol.Event

// LogEntry is an event's message.
type LogEntry = protocol.LogEntry

// ExceptionList holds an event's exceptions, innermost first.
type ExceptionList = protocol.ExceptionList

// Exception is one link of an error chain.
type Exception = protocol.Exception

// Mechanism tells how an exception was caught, and links the exceptions
// of an error group.
type Mechanism = protocol.Mechanism

// Stacktrace is a list of frames, oldest first.
type Stacktrace = protocol.Stacktrace

// Frame is one stack frame.
type Frame = protocol.Frame

// ThreadList holds an event's threads.
type ThreadList = protocol.ThreadList

// Thread is a goroutine's stack attached to an event.
type Thread = protocol.Thread

// BreadcrumbList holds an event's breadcrumbs, oldest first.
type BreadcrumbList = protocol.BreadcrumbList

// Breadcrumb is something that happened before an event.
type Breadcrumb = protocol.Breadcrumb

// User identifies the user an event affected.
type User = protocol.User

// Request describes the HTTP request an event happened in.
type Request = protocol.Request

// SDKInfo names the SDK that sent an event.
type SDKInfo = protocol.SDKInfo

// SDKPackage is a package of the SDK.
type SDKPackage = protocol.SDKPackage

// The SDK's name and version, as sent in events and in X-Sentry-Auth.
const (
	SDKName    = protocol.SDKName
	SDKVersion = protocol.SDKVersion
)

// Envelope is the unit the transport sends: a header and items.
// https://develop.sentry.dev/sdk/data-model/envelopes/
type Envelope = protocol.Envelope

// EnvelopeHeader is an envelope's first line.
type EnvelopeHeader = protocol.EnvelopeHeader

// EnvelopeItem is one item of an envelope: its header fields and payload.
type EnvelopeItem = protocol.EnvelopeItem

// Item types of an envelope.
const (
	ItemEvent        = protocol.ItemEvent
	ItemClientReport = protocol.ItemClientReport
	ItemAttachment   = protocol.ItemAttachment
)

// Attachment types (EnvelopeItem.AttachmentType).
const (
	AttachmentTypeDefault  = protocol.AttachmentTypeDefault
	AttachmentTypeMinidump = protocol.AttachmentTypeMinidump
	AttachmentTypeViewHier = protocol.AttachmentTypeViewHier
)

// ErrMalformedEnvelope is returned by ParseEnvelope for data that is not
// an envelope.
var ErrMalformedEnvelope = protocol.ErrMalformedEnvelope

// ParseEnvelope parses an envelope in its wire format.
func ParseEnvelope(data []byte) (*Envelope, error) { return protocol.ParseEnvelope(data) }

// DSN is a parsed Data Source Name: where and how to send events.
type DSN = protocol.DSN

// ErrInvalidDSN is wrapped by every error ParseDSN returns.
var ErrInvalidDSN = protocol.ErrInvalidDSN

// ParseDSN parses a DSN of the form
// {scheme}://{public_key}[:{secret}]@{host}[:{port}]/{path}{project_id}.
// It rejects, with an error wrapping ErrInvalidDSN, what could never
// deliver: see internal/protocol for the rules.
func ParseDSN(s string) (*DSN, error) { return protocol.ParseDSN(s) }
