// Package delivery holds what the client, its transports and its outbox
// share about the fate of envelopes: the Transport interface, the reasons
// an event is dropped or a file set aside, the error a transport returns
// for a dropped envelope, and the client reports that tell the server
// about drops (https://develop.sentry.dev/sdk/telemetry/client-reports/).
package delivery

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/ravenkit/raven/internal/protocol"
)

// DropReason says why an event was discarded. The values are the reasons
// of the protocol's client reports.
type DropReason string

// Reasons an event can be discarded.
const (
	DropQueueOverflow  DropReason = "queue_overflow"
	DropRateLimit      DropReason = "ratelimit_backoff"
	DropNetworkError   DropReason = "network_error"
	DropSendError      DropReason = "send_error"
	DropSampleRate     DropReason = "sample_rate"
	DropBeforeSend     DropReason = "before_send"
	DropEventProcessor DropReason = "event_processor"
	DropCacheOverflow  DropReason = "cache_overflow"
	DropClosed         DropReason = "closed"
	// DropInternalError: the SDK lost the event itself, for instance an
	// outbox file of this client that could no longer be read.
	DropInternalError DropReason = "internal_sdk_error"
)

// ReasonCount is the number of drop reasons.
const ReasonCount = 10

// Reasons lists every drop reason, in the order of ReasonIndex.
var Reasons = [ReasonCount]DropReason{DropQueueOverflow, DropRateLimit, DropNetworkError, DropSendError,
	DropSampleRate, DropBeforeSend, DropEventProcessor, DropCacheOverflow, DropClosed, DropInternalError}

// Drop describes discarded events, as given to the OnDrop hook.
type Drop struct {
	Reason   DropReason
	Category string // rate-limit category: "error" for error events
	EventID  protocol.EventID
	Count    int
	Err      error // the cause, when there is one
}

// Transport delivers envelopes. Send is called from the client's sender
// goroutines, possibly concurrently, and may block until the envelopes are
// delivered or given up; it must honour ctx. It returns nil when every
// envelope was delivered; otherwise an error, which may wrap *DropError
// values (errors.Join) telling why envelopes were discarded. An error that
// is not a *DropError counts every envelope as a send_error.
type Transport interface {
	Send(ctx context.Context, envelopes []*protocol.Envelope) error
	// Flush waits for anything the transport buffers itself.
	Flush(ctx context.Context) error
	// Close releases the transport's resources.
	Close(ctx context.Context) error
}

// DropError reports envelopes a transport discarded, and why.
type DropError struct {
	Reason DropReason
	// Reported is true when the server has already recorded the outcome
	// (a 429 answer), so no client report is sent for it.
	Reported bool
	// Status is the HTTP status the server answered, 0 when none did.
	Status int
	// MaybeReceived is true when the server may have received the
	// envelope although the send failed: a request was written in full
	// but no answer came (the connection broke, the request timed out).
	// The client reports such an envelope carried then count as sent, and
	// are not sent again: a drop is reported at most once, never twice.
	MaybeReceived bool
	Err           error
}

// Error describes the drop.
func (e *DropError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("raven: envelope dropped (%s): %v", e.Reason, e.Err)
	}
	return fmt.Sprintf("raven: envelope dropped (%s)", e.Reason)
}

// Unwrap returns the cause.
func (e *DropError) Unwrap() error { return e.Err }

// SetAsideReason says why an outbox file was not sent.
type SetAsideReason string

// Reasons an outbox file is set aside.
const (
	// SetAsideForeign: the envelope was written for another DSN (another
	// public key or project). It is left in place for a client with that
	// DSN, or for `raven outbox flush --dsn`.
	SetAsideForeign SetAsideReason = "foreign_dsn"
	// SetAsideUnreadable: empty, truncated or corrupt content, or too
	// large to be an envelope the outbox wrote. Moved to quarantine.
	SetAsideUnreadable SetAsideReason = "unreadable"
	// SetAsideUnsafe: a symbolic link, not a regular file, or a file owned
	// by another user. Never opened through the link; moved to quarantine.
	SetAsideUnsafe SetAsideReason = "unsafe"
)

// SetAsideCount is the number of set-aside reasons.
const SetAsideCount = 3

// SetAsideReasons lists every set-aside reason.
var SetAsideReasons = [SetAsideCount]SetAsideReason{SetAsideForeign, SetAsideUnreadable, SetAsideUnsafe}

// ReasonIndex is the index of r in Reasons (the last one for an unknown
// reason).
func ReasonIndex(r DropReason) int {
	for i, x := range Reasons {
		if x == r {
			return i
		}
	}
	return int(ReasonCount) - 1
}

// ReportKey aggregates client-report entries.
type ReportKey struct {
	Reason   DropReason
	Category string
}

// Reports accumulates discarded events until the next envelope
// carries them to the server.
type Reports struct {
	mu      sync.Mutex
	pending map[ReportKey]int
}

// Add counts n discarded events of category for the next report.
func (r *Reports) Add(reason DropReason, category string, n int) {
	if reason == DropClosed {
		return // nothing will carry it
	}
	r.mu.Lock()
	if r.pending == nil {
		r.pending = make(map[ReportKey]int)
	}
	r.pending[ReportKey{Reason: reason, Category: category}] += n
	r.mu.Unlock()
}

// Restore puts back entries of a report that could not be delivered.
func (r *Reports) Restore(m map[ReportKey]int) {
	r.mu.Lock()
	if r.pending == nil {
		r.pending = make(map[ReportKey]int)
	}
	for k, v := range m {
		r.pending[k] += v
	}
	r.mu.Unlock()
}

// Take returns and clears the accumulated entries.
func (r *Reports) Take() map[ReportKey]int {
	r.mu.Lock()
	m := r.pending
	r.pending = nil
	r.mu.Unlock()
	return m
}

type discardedEvent struct {
	Reason   DropReason `json:"reason"`
	Category string     `json:"category"`
	Quantity int        `json:"quantity"`
}

// ReportItem encodes entries as a client_report envelope item.
func ReportItem(m map[ReportKey]int, now time.Time) protocol.EnvelopeItem {
	rep := struct {
		Timestamp string           `json:"timestamp"`
		Discarded []discardedEvent `json:"discarded_events"`
	}{Timestamp: protocol.FormatTime(now)}
	for k, v := range m {
		rep.Discarded = append(rep.Discarded, discardedEvent{k.Reason, k.Category, v})
	}
	b, _ := json.Marshal(&rep)
	return protocol.EnvelopeItem{Type: protocol.ItemClientReport, Payload: b}
}
