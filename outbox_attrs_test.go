package raven_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/raventest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An envelope stored in the outbox keeps every header attribute, known or
// not, and its attachment's filename and types, when it is sent from
// there: intermediaries must retain attributes they do not understand
// (https://develop.sentry.dev/sdk/data-model/envelopes/).
func TestOutboxKeepsEnvelopeAttributes(t *testing.T) {
	srv := raventest.NewServer(t)
	dir := t.TempDir()
	id := raven.NewEventID()
	env := &raven.Envelope{
		Header: raven.EnvelopeHeader{EventID: id, DSN: srv.DSN(),
			Attrs: map[string]json.RawMessage{"trace": json.RawMessage(`{"trace_id":"0123456789abcdef0123456789abcdef"}`)}},
		Items: []raven.EnvelopeItem{
			{Type: raven.ItemEvent, Events: 1,
				Payload: []byte(`{"event_id":"` + string(id) + `","platform":"go","level":"error","timestamp":"2026-01-01T00:00:00Z"}`),
				Attrs:   map[string]json.RawMessage{"x_future": json.RawMessage(`[1,"two"]`)}},
			{Type: raven.ItemAttachment, Payload: []byte("log line\n"), Filename: "app.log",
				ContentType: "text/plain", AttachmentType: raven.AttachmentTypeDefault},
		},
	}
	b, err := env.Bytes()
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "00000000000000000001-1-aa-1.env"), b, 0o600))

	res, err := raven.FlushOutbox(context.Background(), dir, srv.DSN())
	require.NoError(t, err)
	assert.Equal(t, 1, res.Delivered)

	envs := srv.Envelopes()
	require.Len(t, envs, 1)
	got := envs[0]
	assert.JSONEq(t, `{"trace_id":"0123456789abcdef0123456789abcdef"}`, string(got.Header.Attrs["trace"]))
	require.Len(t, got.Items, 2)
	assert.JSONEq(t, `[1,"two"]`, string(got.Items[0].Attrs["x_future"]))
	att := got.Items[1]
	assert.Equal(t, raven.ItemAttachment, att.Type)
	assert.Equal(t, "app.log", att.Filename)
	assert.Equal(t, "text/plain", att.ContentType)
	assert.Equal(t, raven.AttachmentTypeDefault, att.AttachmentType)
	assert.Equal(t, "log line\n", string(att.Payload))
}
