// Package telemetry names the kinds of telemetry a client sends, each with
// a queue of its own in the client's pipeline: its data category (the name
// rate limits and client reports use, develop.sentry.dev/sdk/expected-features/rate-limiting/
// and develop.sentry.dev/sdk/telemetry/client-reports/), its envelope item
// type, its priority, its default bounds, and, for kinds sent in batches,
// how items are put together in one envelope item.
package telemetry

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"

	"github.com/ravenkit/raven/internal/pipeline"
	"github.com/ravenkit/raven/internal/protocol"
)

// Kind indexes the client's pipeline classes.
type Kind int

// The kinds. Error is first: the pipeline's class index is the Kind.
const (
	Error Kind = iota
	CheckIn
	Session
	Feedback
	Attachment
	Transaction
	Span
	Log
	NumKinds
)

// Limit bounds a queue by items and by estimated bytes.
type Limit struct {
	Items, Bytes int
}

// Spec describes a kind.
type Spec struct {
	// Category is the data category; ItemType the envelope item type.
	Category, ItemType string
	// Priority orders the kinds: lower goes first. Errors and check-ins
	// go first; logs and spans yield.
	Priority int
	// Limit is the default bound of the kind's queue.
	Limit Limit
	// Batch > 1: up to Batch items (and BatchBytes) go in one envelope
	// item, waiting up to Linger for the batch to fill.
	Batch, BatchBytes int
	Linger            time.Duration
	// ContentType of a batch's container item ({"items":[...]}), as the
	// logs and span protocols define it.
	ContentType string
}

// Specs holds every kind's description.
var Specs = [NumKinds]Spec{
	Error:    {Category: "error", ItemType: protocol.ItemEvent, Priority: 0, Limit: Limit{5000, 64 << 20}},
	CheckIn:  {Category: "monitor", ItemType: protocol.ItemCheckIn, Priority: 0, Limit: Limit{1000, 8 << 20}},
	Session:  {Category: "session", ItemType: protocol.ItemSession, Priority: 1, Limit: Limit{1000, 8 << 20}},
	Feedback: {Category: "feedback", ItemType: protocol.ItemFeedback, Priority: 1, Limit: Limit{100, 16 << 20}},
	// Attachments are bounded by bytes above all: Relay's default limit
	// for one attachment is 100 MiB (develop.sentry.dev/sdk/data-model/envelopes/#size-limits).
	Attachment:  {Category: "attachment", ItemType: protocol.ItemAttachment, Priority: 2, Limit: Limit{100, 40 << 20}},
	Transaction: {Category: "transaction", ItemType: protocol.ItemTransaction, Priority: 3, Limit: Limit{1000, 32 << 20}},
	// Spans and logs go in batches of up to 1,000 spans or 100 logs, 1 MiB
	// or 5 s, whichever comes first (develop.sentry.dev/sdk/telemetry/logs/).
	Span: {Category: "span", ItemType: protocol.ItemSpan, Priority: 3, Limit: Limit{10000, 32 << 20},
		Batch: 1000, BatchBytes: 1 << 20, Linger: 5 * time.Second, ContentType: "application/vnd.sentry.items.span.v2+json"},
	Log: {Category: "log_item", ItemType: protocol.ItemLog, Priority: 3, Limit: Limit{10000, 16 << 20},
		Batch: 100, BatchBytes: 1 << 20, Linger: 5 * time.Second, ContentType: "application/vnd.sentry.items.log+json"},
}

// ByCategory returns the kind whose data category is name.
func ByCategory(name string) (Kind, bool) {
	for k, s := range Specs {
		if s.Category == name {
			return Kind(k), true
		}
	}
	return 0, false
}

// Classes returns the pipeline classes of every kind, bounded by limits.
func Classes(limits [NumKinds]Limit) []pipeline.Class {
	out := make([]pipeline.Class, NumKinds)
	for k, s := range Specs {
		out[k] = pipeline.Class{Name: s.Category, Priority: s.Priority, MaxItems: limits[k].Items, MaxBytes: limits[k].Bytes,
			Batch: s.Batch, BatchBytes: s.BatchBytes, Linger: s.Linger}
	}
	return out
}

// Item is one item of a kind, encoded, before it is put in an envelope.
type Item struct {
	Payload []byte
	// Filename and ContentType, for attachments.
	Filename, ContentType string
}

// EnvelopeItems turns the items of one batch of kind k into envelope
// items: a batched kind's items go in one container item with an
// item_count (payloads that are not JSON objects are left out: they would
// make the container invalid), other kinds give one envelope item each.
// Events is the count each item stands for, for drop accounting; bad is
// how many items were left out.
func EnvelopeItems(k Kind, items []Item) (out []protocol.EnvelopeItem, bad int) {
	s := Specs[k]
	if s.Batch <= 1 {
		out = make([]protocol.EnvelopeItem, 0, len(items))
		for _, it := range items {
			out = append(out, protocol.EnvelopeItem{Type: s.ItemType, Payload: it.Payload, Events: 1,
				Filename: it.Filename, ContentType: it.ContentType})
		}
		return out, 0
	}
	var buf bytes.Buffer
	buf.WriteString(`{"items":[`)
	n := 0
	for _, it := range items {
		if p := bytes.TrimSpace(it.Payload); len(p) > 0 && p[0] == '{' && json.Valid(p) {
			if n > 0 {
				buf.WriteByte(',')
			}
			buf.Write(p)
			n++
		}
	}
	buf.WriteString("]}")
	if n == 0 {
		return nil, len(items)
	}
	return []protocol.EnvelopeItem{{Type: s.ItemType, Payload: buf.Bytes(), Events: n, ContentType: s.ContentType,
		Attrs: map[string]json.RawMessage{"item_count": json.RawMessage(strconv.Itoa(n))}}}, len(items) - n
}
