package raven

import "github.com/ravenkit/raven/internal/delivery"

// DropReason says why an event was discarded. The values are the reasons
// of the protocol's client reports.
type DropReason = delivery.DropReason

// Reasons an event can be discarded.
const (
	DropQueueOverflow  = delivery.DropQueueOverflow
	DropRateLimit      = delivery.DropRateLimit
	DropNetworkError   = delivery.DropNetworkError
	DropSendError      = delivery.DropSendError
	DropSampleRate     = delivery.DropSampleRate
	DropBeforeSend     = delivery.DropBeforeSend
	DropEventProcessor = delivery.DropEventProcessor
	DropCacheOverflow  = delivery.DropCacheOverflow
	DropClosed         = delivery.DropClosed
	// DropInternalError: the SDK lost the event itself, for instance an
	// outbox file of this client that could no longer be read.
	DropInternalError = delivery.DropInternalError
)

// Drop describes discarded events, as given to the OnDrop hook.
type Drop = delivery.Drop

// DropError reports envelopes a transport discarded, and why. A
// Transport returns it (possibly several, joined with errors.Join).
type DropError = delivery.DropError

// Transport delivers envelopes. Send is called from the client's sender
// goroutines, possibly concurrently, and may block until the envelopes are
// delivered or given up; it must honour ctx. It returns nil when every
// envelope was delivered; otherwise an error, which may wrap *DropError
// values (errors.Join) telling why envelopes were discarded. An error that
// is not a *DropError counts every envelope as a send_error. Flush waits
// for anything the transport buffers; Close releases its resources.
type Transport = delivery.Transport

// SetAsideReason says why an outbox file was not sent.
type SetAsideReason = delivery.SetAsideReason

// Reasons an outbox file is set aside.
const (
	// SetAsideForeign: the envelope was written for another DSN (another
	// public key or project). It is left in place for a client with that
	// DSN, or for `raven outbox flush --dsn`.
	SetAsideForeign = delivery.SetAsideForeign
	// SetAsideUnreadable: empty, truncated or corrupt content, or too
	// large to be an envelope the outbox wrote. Moved to quarantine.
	SetAsideUnreadable = delivery.SetAsideUnreadable
	// SetAsideUnsafe: a symbolic link, not a regular file, or a file owned
	// by another user. Never opened through the link; moved to quarantine.
	SetAsideUnsafe = delivery.SetAsideUnsafe
)
