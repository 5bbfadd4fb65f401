package raven

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"
)

// Item types of an envelope.
const (
	ItemEvent        = "event"
	ItemClientReport = "client_report"
	ItemAttachment   = "attachment"
	ItemSession      = "session"
	ItemCheckIn      = "check_in"
)

// EnvelopeHeader is the first line of an envelope.
type EnvelopeHeader struct {
	EventID EventID   `json:"event_id,omitempty"`
	SentAt  time.Time `json:"sent_at,omitzero"`
	DSN     string    `json:"dsn,omitempty"`
	SDK     *SDKInfo  `json:"sdk,omitempty"`
}

// EnvelopeItem is one item of an envelope: a typed, length-prefixed
// payload.
type EnvelopeItem struct {
	Type    string
	Payload []byte
	// Events is how many events the item stands for, for drop accounting
	// (1 for an event item, 0 for a client report).
	Events int
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
	case "log":
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
// empty type or one that is not UTF-8 is an error.
func (e *Envelope) AppendTo(buf []byte) ([]byte, error) {
	buf = e.Header.appendJSON(buf)
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
		buf = append(buf, "}\n"...)
		buf = append(buf, it.Payload...)
		buf = append(buf, '\n')
	}
	return buf, nil
}

// appendJSON writes the header as encoding/json would, but for sent_at,
// which is written in UTC to the microsecond like every other timestamp:
// the header is encoded for every request.
func (h *EnvelopeHeader) appendJSON(buf []byte) []byte {
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
	return append(buf, '}')
}

// Bytes returns the wire form of the envelope.
func (e *Envelope) Bytes() ([]byte, error) { return e.AppendTo(nil) }

// ErrMalformedEnvelope is wrapped by every envelope parse error.
var ErrMalformedEnvelope = errors.New("raven: malformed envelope")

// ParseEnvelope parses the wire form of an envelope strictly: a JSON
// header line, then per item a JSON header line and a payload of exactly
// "length" bytes (or up to the next newline when the length is absent).
func ParseEnvelope(data []byte) (*Envelope, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrMalformedEnvelope, fmt.Sprintf(format, args...))
	}
	line, rest, ok := bytes.Cut(data, []byte{'\n'})
	if !ok && len(line) == 0 {
		return nil, bad("empty")
	}
	env := &Envelope{}
	var hdr struct {
		EventID EventID  `json:"event_id"`
		SentAt  string   `json:"sent_at"`
		DSN     string   `json:"dsn"`
		SDK     *SDKInfo `json:"sdk"`
	}
	if err := strictObject(line, &hdr); err != nil {
		return nil, bad("envelope header: %v", err)
	}
	env.Header.EventID, env.Header.DSN, env.Header.SDK = hdr.EventID, hdr.DSN, hdr.SDK
	if hdr.SentAt != "" {
		t, err := time.Parse(time.RFC3339Nano, hdr.SentAt)
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
		var ih struct {
			Type   string `json:"type"`
			Length *int64 `json:"length"`
		}
		if err := strictObject(line, &ih); err != nil {
			return nil, bad("item %d header: %v", len(env.Items), err)
		}
		if ih.Type == "" {
			return nil, bad("item %d: missing type", len(env.Items))
		}
		var payload []byte
		if ih.Length != nil {
			n := *ih.Length
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
		it := EnvelopeItem{Type: ih.Type, Payload: payload}
		if ih.Type == ItemEvent {
			it.Events = 1
		}
		env.Items = append(env.Items, it)
	}
	return env, nil
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
