package protocol

// Size bounds of what the SDK sends, and where they come from.
//
// Relay, the server in front of every Sentry installation, takes an event
// item of at most 1 MiB (its limits.max_event_size defaults to 1 MiB:
// relay-config's Limits; https://develop.sentry.dev/sdk/data-model/envelopes/#size-limits)
// and answers 413 to anything larger: the whole event is lost. Below that,
// it never rejects an event for a long field: it trims the field itself
// and records the original length in the event's _meta, so the server
// shows that it was cut. Its limits are in characters, not bytes:
// a message (logentry.message and logentry.formatted, max_chars
// "message") and an exception value (max_chars 8192) keep 8,192
// characters. The message interface's page says SDKs should not enforce
// that limit themselves
// (https://develop.sentry.dev/sdk/data-model/event-payloads/message/): a
// message is kept up to the size of a whole event (MaxMessageBytes), and
// only the event's size budget (internal/trim) shortens it further.

// MaxEventBytes is the largest event payload sent; larger events are
// trimmed to fit (Relay rejects event items over 1 MiB).
const MaxEventBytes = 1 << 20

// MaxMessageBytes bounds the message of an event when it is captured
// (CutString). The message is not cut to Relay's 8,192 characters (the
// server does that, and says so); only what could never fit an event is
// cut here, so that the scrubber never reads more, and the size budget
// does the rest.
const MaxMessageBytes = MaxEventBytes

// MaxValueBytes bounds an exception value and each string of a user value
// (extra, contexts, breadcrumb data, ...): 8 KiB, the 8,192 characters
// Relay keeps of an exception value when they are ASCII.
const MaxValueBytes = 8192
