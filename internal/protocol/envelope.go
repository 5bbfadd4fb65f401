package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// Item types of an envelope.
const (
	ItemEvent        = "event"
	ItemClientReport = "client_report"
	ItemAttachment   = "attachment"
	ItemLog          = "log"
	ItemCheckIn      = "check_in"
	ItemSession      = "session"
	ItemTransaction  = "transaction"
	ItemSpan         = "span"
	ItemFeedback     = "feedback"
)

// EnvelopeHeader is the first line of an envelope.
type EnvelopeHeader struct {
	EventID EventID   `json:"event_id,omitempty"`
	SentAt  time.Time `json:"sent_at,omitzero"`
	DSN     string    `json:"dsn,omitempty"`
	SDK     *SDKInfo  `json:"sdk,omitempty"`
	// Attrs holds the header's other attributes (such as trace), by
	// name, as JSON values. See EnvelopeItem.Attrs.
	Attrs map[string]json.RawMessage `json:"-"`
}

// Attachment types of an attachment item's AttachmentType
// (develop.sentry.dev/sdk/data-model/envelope-items/#attachment).
const (
	AttachmentTypeDefault  = "event.attachment"
	AttachmentTypeMinidump = "event.minidump"
	AttachmentTypeViewHier = "event.view_hierarchy"
)

// EnvelopeItem is one item of an envelope: a typed, length-prefixed
// payload and the attributes of its header line
// (develop.sentry.dev/sdk/data-model/envelopes/).
type EnvelopeItem struct {
	Type    string
	Payload []byte
	// Events is how many events the item stands for, for drop accounting
	// (1 for an event item, 0 for a client report). It is not sent.
	Events int
	// Filename is the file name of an attachment; the protocol requires
	// it on attachment items. Empty means absent.
	Filename string
	// ContentType is the media type of the payload ("text/plain",
	// "application/json"). Empty means absent.
	ContentType string
	// AttachmentType is the kind of an attachment item (the
	// AttachmentType constants); absent means AttachmentTypeDefault.
	AttachmentType string
	// Attrs holds the item header's other attributes (item_count,
	// platform, ...), by name, as JSON values. ParseEnvelope keeps every
	// attribute it has no field for here and AppendTo writes them back,
	// sorted by name, so an envelope read and written again (by the
	// outbox, by a relay-like tool) keeps its headers, as the protocol
	// asks of anything that forwards envelopes. A name that has a field
	// (type, length, filename, content_type, attachment_type) is an error
	// here.
	Attrs map[string]json.RawMessage
}

// Category is the rate-limit category of the item.
func (it *EnvelopeItem) Category() string { return itemCategory(it.Type) }

// itemCategory maps an item type to its data category, as named in rate
// limits and client reports (develop.sentry.dev/sdk/data-model/envelope-items/
// lists the types; Relay's DataCategory the categories). A type with no
// known category keeps its name, which only a limit on every category
// applies to.
func itemCategory(typ string) string {
	switch typ {
	case ItemEvent:
		return "error"
	case ItemClientReport:
		return "internal"
	case ItemCheckIn:
		return "monitor"
	case ItemLog:
		return "log_item"
	case "session", "sessions":
		return "session"
	case "replay_event", "replay_recording", "replay_video":
		return "replay"
	case "user_report":
		return "default"
	case "statsd", "metric_buckets":
		return "metric_bucket"
	}
	return typ // transaction, span, attachment, feedback, profile, profile_chunk
}

// Envelope is a header and items, the unit sent to the server.
type Envelope struct {
	Header EnvelopeHeader
	Items  []EnvelopeItem
}

// EventCount is how many events the envelope carries.
func (e *Envelope) EventCount() int {
	n := 0
	for i := range e.Items {
		n += e.Items[i].Events
	}
	return n
}

// AppendTo appends the wire form of the envelope to buf. An item with an
// empty type or one that is not UTF-8 is an error, and so is an attribute
// in Attrs that is not valid JSON or has a name a field stands for.
func (e *Envelope) AppendTo(buf []byte) ([]byte, error) {
	buf, err := e.Header.appendJSON(buf)
	if err != nil {
		return buf, fmt.Errorf("raven: envelope header: %w", err)
	}
	buf = append(buf, '\n')
	for i := range e.Items {
		it := &e.Items[i]
		if it.Type == "" || !utf8.ValidString(it.Type) {
			return buf, fmt.Errorf("raven: envelope item %d: invalid type %q", i, it.Type)
		}
		buf = append(buf, `{"type":`...)
		buf = appendJSONString(buf, it.Type)
		buf = append(buf, `,"length":`...)
		buf = strconv.AppendInt(buf, int64(len(it.Payload)), 10)
		buf = appendStringMember(buf, "filename", it.Filename)
		buf = appendStringMember(buf, "content_type", it.ContentType)
		buf = appendStringMember(buf, "attachment_type", it.AttachmentType)
		if buf, err = appendAttrs(buf, it.Attrs, isItemField); err != nil {
			return buf, fmt.Errorf("raven: envelope item %d: %w", i, err)
		}
		buf = append(buf, "}\n"...)
		buf = append(buf, it.Payload...)
		buf = append(buf, '\n')
	}
	return buf, nil
}

// isItemField reports the item header attributes EnvelopeItem has a field
// for.
func isItemField(name string) bool {
	switch name {
	case "type", "length", "filename", "content_type", "attachment_type":
		return true
	}
	return false
}

// isHeaderField reports the envelope header attributes EnvelopeHeader has
// a field for.
func isHeaderField(name string) bool {
	switch name {
	case "event_id", "sent_at", "dsn", "sdk":
		return true
	}
	return false
}

// appendAttrs appends the members of attrs, sorted by name, to a JSON
// object being written. Values are compacted: a header is one line.
func appendAttrs(buf []byte, attrs map[string]json.RawMessage, reserved func(string) bool) ([]byte, error) {
	if len(attrs) == 0 {
		return buf, nil
	}
	names := make([]string, 0, len(attrs))
	for k := range attrs {
		if reserved(k) {
			return buf, fmt.Errorf("attribute %q has a field of its own", k)
		}
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		if len(buf) > 0 && buf[len(buf)-1] != '{' {
			buf = append(buf, ',')
		}
		buf = append(appendJSONString(buf, k), ':')
		var out bytes.Buffer
		if err := json.Compact(&out, attrs[k]); err != nil {
			return buf, fmt.Errorf("attribute %q: %w", k, err)
		}
		buf = append(buf, out.Bytes()...)
	}
	return buf, nil
}

// appendJSON writes the header as encoding/json would, but for sent_at,
// which is written in UTC to the microsecond like every other timestamp:
// the header is encoded for every request. Attrs follow, sorted by name.
func (h *EnvelopeHeader) appendJSON(buf []byte) ([]byte, error) {
	buf = append(buf, '{')
	buf = appendStringMember(buf, "event_id", string(h.EventID))
	if !h.SentAt.IsZero() {
		buf = append(appendKey(buf, "sent_at"), '"')
		buf = append(appendTime(buf, h.SentAt), '"')
	}
	buf = appendStringMember(buf, "dsn", h.DSN)
	if h.SDK != nil {
		buf = h.SDK.appendJSON(appendKey(buf, "sdk"))
	}
	buf, err := appendAttrs(buf, h.Attrs, isHeaderField)
	return append(buf, '}'), err
}

// Bytes returns the wire form of the envelope.
func (e *Envelope) Bytes() ([]byte, error) { return e.AppendTo(nil) }

// ErrMalformedEnvelope is wrapped by every envelope parse error.
var ErrMalformedEnvelope = errors.New("raven: malformed envelope")

// ParseEnvelope parses the wire form of an envelope strictly: a JSON
// header line, then per item a JSON header line and a payload of exactly
// "length" bytes (or up to the next newline when the length is absent).
// Header attributes with no field of their own are kept in Attrs; a known
// attribute of the wrong JSON type is an error.
func ParseEnvelope(data []byte) (*Envelope, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrMalformedEnvelope, fmt.Sprintf(format, args...))
	}
	line, rest, ok := bytes.Cut(data, []byte{'\n'})
	if !ok && len(line) == 0 {
		return nil, bad("empty")
	}
	env := &Envelope{}
	var hdr headerAttrs
	if err := strictObject(line, &hdr); err != nil {
		return nil, bad("envelope header: %v", err)
	}
	var sentAt string
	var eventID string
	err := errors.Join(hdr.take("event_id", &eventID), hdr.take("sent_at", &sentAt), hdr.take("dsn", &env.Header.DSN),
		hdr.take("sdk", &env.Header.SDK))
	if err != nil {
		return nil, bad("envelope header: %v", err)
	}
	env.Header.EventID, env.Header.Attrs = EventID(eventID), hdr.rest()
	if sentAt != "" {
		t, err := time.Parse(time.RFC3339Nano, sentAt)
		if err != nil {
			return nil, bad("sent_at: %v", err)
		}
		env.Header.SentAt = t
	}
	for len(rest) > 0 {
		line, rest, _ = bytes.Cut(rest, []byte{'\n'})
		if len(bytes.TrimSpace(line)) == 0 && len(rest) == 0 {
			break // trailing newline
		}
		var ih headerAttrs
		if err := strictObject(line, &ih); err != nil {
			return nil, bad("item %d header: %v", len(env.Items), err)
		}
		var it EnvelopeItem
		var length *int64
		err := errors.Join(ih.take("type", &it.Type), ih.take("length", &length), ih.take("filename", &it.Filename),
			ih.take("content_type", &it.ContentType), ih.take("attachment_type", &it.AttachmentType))
		if err != nil {
			return nil, bad("item %d header: %v", len(env.Items), err)
		}
		it.Attrs = ih.rest()
		if it.Type == "" {
			return nil, bad("item %d: missing type", len(env.Items))
		}
		var payload []byte
		if length != nil {
			n := *length
			if n < 0 || n > int64(len(rest)) {
				return nil, bad("item %d: length %d exceeds remaining %d bytes", len(env.Items), n, len(rest))
			}
			payload, rest = rest[:n], rest[n:]
			if len(rest) > 0 {
				if rest[0] != '\n' {
					return nil, bad("item %d: payload not followed by newline", len(env.Items))
				}
				rest = rest[1:]
			}
		} else {
			payload, rest, _ = bytes.Cut(rest, []byte{'\n'})
		}
		it.Payload = payload
		if it.Type == ItemEvent {
			it.Events = 1
		}
		env.Items = append(env.Items, it)
	}
	return env, nil
}

// headerAttrs is a header line's attributes while it is parsed: known
// ones are taken out, the rest is kept.
type headerAttrs map[string]json.RawMessage

// take decodes attribute name into v and removes it. An absent attribute
// or a null leaves v alone.
func (h headerAttrs) take(name string, v any) error {
	raw, ok := h[name]
	if !ok {
		return nil
	}
	delete(h, name)
	if bytes.Equal(raw, []byte("null")) {
		return nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("%s: %v", name, err)
	}
	return nil
}

// rest returns the attributes not taken, nil when there are none.
func (h headerAttrs) rest() map[string]json.RawMessage {
	if len(h) == 0 {
		return nil
	}
	return h
}

// strictObject decodes one JSON object from line and rejects trailing data.
func strictObject(line []byte, v any) error {
	line = bytes.TrimSpace(line)
	if len(line) == 0 || line[0] != '{' {
		return errors.New("not a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after JSON object")
	}
	return nil
}
