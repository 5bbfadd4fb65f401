package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ravenkit/raven/internal/schematest"
	"github.com/ravenkit/raven/raventest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestEmbeddedReceiver(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out bytes.Buffer
	require.NoError(t, run(ctx, &out, func(string) string { return "" }))
	s := out.String()
	assert.Contains(t, s, "3 events captured, 3 received.")
	assert.Contains(t, s, "*errors.withMessage: load config")
	assert.Contains(t, s, "assignment to entry in nil map")
	assert.Contains(t, s, `> cache[r.URL.Path] = "x"`, "the panic's context line is printed")
	assert.Contains(t, s, "at loadConfig (github.com/ravenkit/raven/examples/quickstart/main.go:")
	assert.Contains(t, s, `request: GET http://127.0.0.1:`)
	assert.Contains(t, s, `(transaction "GET /orders/{id}")`)
}

func TestWithSentryDSN(t *testing.T) {
	srv := raventest.NewServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out bytes.Buffer
	require.NoError(t, run(ctx, &out, func(k string) string {
		if k == "SENTRY_DSN" {
			return srv.DSN()
		}
		return ""
	}))
	evs, err := srv.WaitForEvents(ctx, 3)
	require.NoError(t, err)
	assert.Len(t, evs, 3)
	for _, ev := range evs {
		assert.Equal(t, "quickstart@1.0.0", ev.Release)
	}
	for _, raw := range srv.RawEvents() {
		schematest.Check(t, raw)
	}
	assert.Equal(t, 2, strings.Count(out.String(), "sent event "), "ids of the direct captures")
}
