package protocol_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ravenkit/raven/internal/protocol"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEnvelopeWireFormat(t *testing.T) {
	env := &protocol.Envelope{
		Header: protocol.EnvelopeHeader{EventID: "9ec79c33ec9942ab8353589fcb2e04dc", SentAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), DSN: "https://k@h/1"},
		Items: []protocol.EnvelopeItem{
			{Type: protocol.ItemEvent, Payload: []byte(`{"message":"a\nb"}`), Events: 1},
			{Type: protocol.ItemClientReport, Payload: []byte(`{}`)},
		},
	}
	b, err := env.Bytes()
	require.NoError(t, err)
	want := `{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc","sent_at":"2026-01-02T03:04:05.000000Z","dsn":"https://k@h/1"}` + "\n" +
		`{"type":"event","length":18}` + "\n" + `{"message":"a\nb"}` + "\n" +
		`{"type":"client_report","length":2}` + "\n{}\n"
	assert.Equal(t, want, string(b))
	got, err := protocol.ParseEnvelope(b)
	require.NoError(t, err)
	assert.Equal(t, env.Header.EventID, got.Header.EventID)
	require.Len(t, got.Items, 2)
	assert.Equal(t, env.Items[0].Payload, got.Items[0].Payload)
	assert.Equal(t, 1, got.EventCount())
	assert.Equal(t, "error", got.Items[0].Category())
}

func TestEnvelopeHeaderMatchesEncodingJSON(t *testing.T) {
	// The header is written by hand; encoding/json of the same fields,
	// with sent_at as a UTC string to the microsecond, is the reference.
	type plain struct {
		EventID protocol.EventID  `json:"event_id,omitempty"`
		SentAt  string            `json:"sent_at,omitempty"`
		DSN     string            `json:"dsn,omitempty"`
		SDK     *protocol.SDKInfo `json:"sdk,omitempty"`
	}
	sdk := &protocol.SDKInfo{Name: "sentry.go.raven", Version: "1.0.0", Integrations: []string{"http", "<slog>"},
		Packages: []protocol.SDKPackage{{Name: "go:github.com/ravenkit/raven", Version: "1.0.0"}}}
	for _, h := range []protocol.EnvelopeHeader{
		{},
		{EventID: protocol.NewEventID()},
		{SentAt: time.Date(2026, 1, 2, 3, 4, 5, 6007008, time.FixedZone("x", 3600))},
		{DSN: "https://k@h/1?a=<b>&c=\"d\"\u2028\xff"},
		{SDK: sdk},
		{SDK: &protocol.SDKInfo{}},
		{EventID: protocol.NewEventID(), SentAt: time.Now(), DSN: "https://k@h/1", SDK: sdk},
	} {
		p := plain{EventID: h.EventID, DSN: h.DSN, SDK: h.SDK}
		if !h.SentAt.IsZero() {
			p.SentAt = h.SentAt.UTC().Format("2006-01-02T15:04:05.000000Z")
		}
		want, err := json.Marshal(p)
		require.NoError(t, err)
		b, err := (&protocol.Envelope{Header: h}).Bytes()
		require.NoError(t, err)
		assert.Equal(t, string(want)+"\n", string(b))
		got, err := protocol.ParseEnvelope(b)
		require.NoError(t, err)
		assert.Equal(t, h.EventID, got.Header.EventID)
		assert.True(t, h.SentAt.Truncate(time.Microsecond).Equal(got.Header.SentAt), "sent_at %v -> %v", h.SentAt, got.Header.SentAt)
	}
}

// TestEnvelopeItemHeaders: the item header attributes of the protocol
// (develop.sentry.dev/sdk/data-model/envelope-items/) are written, parsed,
// and kept through a parse-then-encode round trip, unknown ones included.
func TestEnvelopeItemHeaders(t *testing.T) {
	tests := []struct {
		name string
		item protocol.EnvelopeItem
		wire string // the item header line
	}{
		{"attachment", protocol.EnvelopeItem{Type: protocol.ItemAttachment, Payload: []byte("hello"), Filename: "notes.txt", ContentType: "text/plain", AttachmentType: protocol.AttachmentTypeDefault},
			`{"type":"attachment","length":5,"filename":"notes.txt","content_type":"text/plain","attachment_type":"event.attachment"}`},
		{"minidump", protocol.EnvelopeItem{Type: protocol.ItemAttachment, Payload: []byte("MDMP"), Filename: "crash.dmp", AttachmentType: protocol.AttachmentTypeMinidump},
			`{"type":"attachment","length":4,"filename":"crash.dmp","attachment_type":"event.minidump"}`},
		{"log batch", protocol.EnvelopeItem{Type: "log", Payload: []byte(`{"items":[]}`), ContentType: "application/vnd.sentry.items.log+json",
			Attrs: map[string]json.RawMessage{"item_count": json.RawMessage(`0`)}},
			`{"type":"log","length":12,"content_type":"application/vnd.sentry.items.log+json","item_count":0}`},
		{"unknown attributes sorted and compacted", protocol.EnvelopeItem{Type: "event", Payload: []byte(`{}`), Events: 1,
			Attrs: map[string]json.RawMessage{"zeta": json.RawMessage("{\n \"a\" : [1, 2]\n}"), "alpha": json.RawMessage(`"x\ny"`), "na\"me": json.RawMessage(`null`)}},
			`{"type":"event","length":2,"alpha":"x\ny","na\"me":null,"zeta":{"a":[1,2]}}`},
		{"filename with quotes and unicode", protocol.EnvelopeItem{Type: protocol.ItemAttachment, Payload: nil, Filename: "a \"b\"\u00e9.log"},
			`{"type":"attachment","length":0,"filename":"a \"b\"é.log"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := &protocol.Envelope{Items: []protocol.EnvelopeItem{tt.item}}
			b, err := env.Bytes()
			require.NoError(t, err)
			lines := bytes.SplitN(b, []byte("\n"), 3)
			require.Len(t, lines, 3)
			assert.Equal(t, tt.wire, string(lines[1]))
			assert.True(t, json.Valid(lines[1]))

			got, err := protocol.ParseEnvelope(b)
			require.NoError(t, err)
			require.Len(t, got.Items, 1)
			it := got.Items[0]
			assert.Equal(t, tt.item.Filename, it.Filename)
			assert.Equal(t, tt.item.ContentType, it.ContentType)
			assert.Equal(t, tt.item.AttachmentType, it.AttachmentType)
			assert.Equal(t, string(tt.item.Payload), string(it.Payload))
			again, err := got.Bytes()
			require.NoError(t, err)
			assert.Equal(t, string(b), string(again), "parse then encode keeps every attribute")
		})
	}
}

// TestEnvelopeRoundTripKeepsUnknownAttributes: an envelope written by a
// newer SDK or a relay keeps header and item attributes raven has no field
// for through ParseEnvelope and AppendTo (which is how the outbox stores
// and re-sends envelopes).
func TestEnvelopeRoundTripKeepsUnknownAttributes(t *testing.T) {
	in := `{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc","dsn":"https://k@h/1","trace":{"trace_id":"abc","public_key":"k"},"x_future":[1,{"b":true}]}` + "\n" +
		`{"type":"event","length":2,"platform":"go","x_item":{"nested":"v"}}` + "\n{}\n" +
		`{"type":"attachment","length":3,"filename":"a.txt","content_type":"text/plain","attachment_type":"event.attachment","x":1.5e3}` + "\nabc\n"
	env, err := protocol.ParseEnvelope([]byte(in))
	require.NoError(t, err)
	assert.JSONEq(t, `{"trace_id":"abc","public_key":"k"}`, string(env.Header.Attrs["trace"]))
	assert.Equal(t, `"go"`, string(env.Items[0].Attrs["platform"]))
	assert.Equal(t, "a.txt", env.Items[1].Filename)
	assert.Equal(t, `1.5e3`, string(env.Items[1].Attrs["x"]))
	out, err := env.Bytes()
	require.NoError(t, err)
	again, err := protocol.ParseEnvelope(out)
	require.NoError(t, err)
	assert.Equal(t, env, again)
	// the header keeps its attributes after the known ones, sorted
	assert.Equal(t, `{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc","dsn":"https://k@h/1","trace":{"trace_id":"abc","public_key":"k"},"x_future":[1,{"b":true}]}`,
		string(bytes.SplitN(out, []byte("\n"), 2)[0]))
}

func TestEnvelopeAttrsErrors(t *testing.T) {
	tests := []struct {
		name string
		env  protocol.Envelope
	}{
		{"item attribute with a field of its own", protocol.Envelope{Items: []protocol.EnvelopeItem{{Type: "event", Attrs: map[string]json.RawMessage{"filename": json.RawMessage(`"x"`)}}}}},
		{"item length in attrs", protocol.Envelope{Items: []protocol.EnvelopeItem{{Type: "event", Attrs: map[string]json.RawMessage{"length": json.RawMessage(`3`)}}}}},
		{"invalid JSON value", protocol.Envelope{Items: []protocol.EnvelopeItem{{Type: "event", Attrs: map[string]json.RawMessage{"x": json.RawMessage(`{`)}}}}},
		{"empty value", protocol.Envelope{Items: []protocol.EnvelopeItem{{Type: "event", Attrs: map[string]json.RawMessage{"x": nil}}}}},
		{"header attribute with a field of its own", protocol.Envelope{Header: protocol.EnvelopeHeader{Attrs: map[string]json.RawMessage{"dsn": json.RawMessage(`"x"`)}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.env.Bytes()
			assert.Error(t, err)
		})
	}
}

func TestParseEnvelopeLenient(t *testing.T) {
	// items without length end at the newline; a missing final newline is fine
	env, err := protocol.ParseEnvelope([]byte("{}\n{\"type\":\"event\"}\n{\"a\":1}\n{\"type\":\"attachment\",\"length\":3}\nabc"))
	require.NoError(t, err)
	require.Len(t, env.Items, 2)
	assert.Equal(t, `{"a":1}`, string(env.Items[0].Payload))
	assert.Equal(t, "abc", string(env.Items[1].Payload))
}

func TestParseEnvelopeMalformed(t *testing.T) {
	for name, in := range map[string]string{
		"empty":                 "",
		"header not json":       "nope\n",
		"header array":          "[]\n",
		"item header junk":      "{}\nxx\n",
		"missing type":          "{}\n{\"length\":1}\na\n",
		"length too long":       "{}\n{\"type\":\"event\",\"length\":100}\n{}\n",
		"negative length":       "{}\n{\"type\":\"event\",\"length\":-1}\n{}\n",
		"no newline after":      "{}\n{\"type\":\"event\",\"length\":1}\nab\n",
		"bad sent_at":           "{\"sent_at\":\"yesterday\"}\n",
		"trailing garbage":      "{} {}\n",
		"type not a string":     "{}\n{\"type\":1,\"length\":0}\n\n",
		"filename not a string": "{}\n{\"type\":\"attachment\",\"length\":0,\"filename\":7}\n\n",
		"length not a number":   "{}\n{\"type\":\"event\",\"length\":\"2\"}\n{}\n",
		"event_id not a string": "{\"event_id\":5}\n",
		"sdk not an object":     "{\"sdk\":\"x\"}\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := protocol.ParseEnvelope([]byte(in))
			require.Error(t, err)
			assert.True(t, errors.Is(err, protocol.ErrMalformedEnvelope))
		})
	}
}

func FuzzParseEnvelope(f *testing.F) {
	f.Add([]byte("{}\n{\"type\":\"event\",\"length\":2}\n{}\n"))
	f.Add([]byte("{\"event_id\":\"9ec79c33ec9942ab8353589fcb2e04dc\"}\n{\"type\":\"event\"}\n{}\n"))
	f.Add([]byte("{}\n"))
	f.Add([]byte("{\"trace\":{\"a\":1}}\n{\"type\":\"attachment\",\"length\":1,\"filename\":\"a\",\"x\":[1]}\na\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		env, err := protocol.ParseEnvelope(data)
		if err != nil {
			if !errors.Is(err, protocol.ErrMalformedEnvelope) {
				t.Fatalf("unexpected error type: %v", err)
			}
			return
		}
		// what parses re-encodes to something that parses to the same items
		b, err := env.Bytes()
		if err != nil {
			return
		}
		again, err := protocol.ParseEnvelope(b)
		if err != nil {
			t.Fatalf("re-encoded envelope does not parse: %v\n%q", err, b)
		}
		if len(again.Items) != len(env.Items) {
			t.Fatalf("items %d != %d", len(again.Items), len(env.Items))
		}
		for i := range env.Items {
			a, b := again.Items[i], env.Items[i]
			if !bytes.Equal(a.Payload, b.Payload) || a.Type != b.Type || a.Filename != b.Filename || a.ContentType != b.ContentType ||
				a.AttachmentType != b.AttachmentType || len(a.Attrs) != len(b.Attrs) {
				t.Fatalf("item %d differs", i)
			}
			for k := range b.Attrs {
				if _, ok := a.Attrs[k]; !ok {
					t.Fatalf("item %d lost attribute %q", i, k)
				}
			}
		}
	})
}

func TestBreadcrumbJSONMatchesEncodingJSON(t *testing.T) {
	ts := time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.FixedZone("x", 3600))
	for _, b := range []protocol.Breadcrumb{
		{Timestamp: ts},
		{Timestamp: ts, Type: "http", Category: "c<>&", Message: "quote \" back \\ nl \n tab \t \x01 bad \xff ok é \u2028", Level: protocol.LevelWarning, Data: map[string]any{"k": []int{1}}},
	} {
		got, err := json.Marshal(b)
		require.NoError(t, err)
		type plain struct {
			Timestamp string         `json:"timestamp"`
			Type      string         `json:"type,omitempty"`
			Category  string         `json:"category,omitempty"`
			Message   string         `json:"message,omitempty"`
			Level     protocol.Level `json:"level,omitempty"`
			Data      map[string]any `json:"data,omitempty"`
		}
		want, err := json.Marshal(plain{"2026-01-02T02:04:05.123456Z", b.Type, b.Category, b.Message, b.Level, b.Data})
		require.NoError(t, err)
		assert.Equal(t, string(want), string(got))
		var back protocol.Breadcrumb
		require.NoError(t, json.Unmarshal(got, &back))
		assert.Equal(t, ts.Truncate(time.Microsecond).UTC(), back.Timestamp.UTC())
	}
}

// FuzzEnvelopeRoundTrip encodes envelopes built from arbitrary item types
// and payloads (newlines, binary, empty) and parses them back.
func FuzzEnvelopeRoundTrip(f *testing.F) {
	f.Add("event", []byte(`{"a":1}`), "attachment", []byte("line1\nline2\n"))
	f.Add("client_report", []byte{}, "x", []byte{0, 0xff, '\n'})
	f.Fuzz(func(t *testing.T, type1 string, p1 []byte, type2 string, p2 []byte) {
		if type1 == "" || type2 == "" {
			return
		}
		env := &protocol.Envelope{Header: protocol.EnvelopeHeader{EventID: protocol.NewEventID(), DSN: "https://k@h/1"},
			Items: []protocol.EnvelopeItem{{Type: type1, Payload: p1}, {Type: type2, Payload: p2}}}
		b, err := env.Bytes()
		if err != nil {
			if utf8.ValidString(type1) && utf8.ValidString(type2) {
				t.Fatalf("valid envelope refused: %v", err)
			}
			return // invalid item types are refused, not mangled
		}
		got, err := protocol.ParseEnvelope(b)
		if err != nil {
			t.Fatalf("encoded envelope does not parse: %v\n%q", err, b)
		}
		if got.Header.EventID != env.Header.EventID || len(got.Items) != 2 {
			t.Fatalf("header or item count changed: %+v", got)
		}
		for i := range env.Items {
			if got.Items[i].Type != env.Items[i].Type || !bytes.Equal(got.Items[i].Payload, env.Items[i].Payload) {
				t.Fatalf("item %d changed: %q -> %q", i, env.Items[i].Payload, got.Items[i].Payload)
			}
		}
	})
}

func TestTimestampFormat(t *testing.T) {
	for _, ts := range []time.Time{
		time.Date(2026, 1, 2, 3, 4, 5, 6007008, time.UTC),
		time.Date(1999, 12, 31, 23, 59, 59, 999999999, time.FixedZone("x", -7*3600)),
		time.Date(12345, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		b, err := json.Marshal(protocol.Breadcrumb{Timestamp: ts})
		require.NoError(t, err)
		assert.Equal(t, `{"timestamp":"`+ts.UTC().Format("2006-01-02T15:04:05.000000Z")+`"}`, string(b))
	}
}

func TestStacktraceJSONMatchesEncodingJSON(t *testing.T) {
	st := &protocol.Stacktrace{Frames: []protocol.Frame{
		{Function: "main", Module: "main", Filename: "main.go", AbsPath: "/src/main.go", Lineno: 10, InApp: true,
			PreContext: []string{"a\t<b>", ""}, ContextLine: "panic(\"x\") \xff", PostContext: []string{"}"}},
		{Function: "handler.func", RawFunction: "handler.func2", Module: "main"},
		{Function: "goexit"},
		{},
	}}
	got, err := json.Marshal(st)
	require.NoError(t, err)
	type plainFrame struct {
		Function    string   `json:"function,omitempty"`
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
	var frames []plainFrame
	for _, f := range st.Frames {
		frames = append(frames, plainFrame(f))
	}
	want, err := json.Marshal(struct {
		Frames []plainFrame `json:"frames"`
	}{frames})
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got))
	var back protocol.Stacktrace
	require.NoError(t, json.Unmarshal(got, &back))
	assert.Len(t, back.Frames, 4)
}
