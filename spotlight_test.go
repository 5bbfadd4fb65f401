package raven_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/raventest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sidecar is a stand-in Spotlight: it records the envelopes posted to it.
func sidecar(t *testing.T) (*httptest.Server, func() []*raven.Envelope) {
	var mu sync.Mutex
	var envs []*raven.Envelope
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "/stream", r.URL.Path)
		assert.Equal(t, "application/x-sentry-envelope", r.Header.Get("Content-Type"))
		b, _ := io.ReadAll(r.Body)
		env, err := raven.ParseEnvelope(b)
		if assert.NoError(t, err) {
			mu.Lock()
			envs = append(envs, env)
			mu.Unlock()
		}
	}))
	t.Cleanup(s.Close)
	return s, func() []*raven.Envelope {
		mu.Lock()
		defer mu.Unlock()
		return append([]*raven.Envelope(nil), envs...)
	}
}

func TestSpotlightWithoutDSN(t *testing.T) {
	side, got := sidecar(t)
	t.Setenv(raven.EnvDSN, "")
	t.Setenv(raven.EnvSpotlight, side.URL+"/stream")
	c, err := raven.New()
	require.NoError(t, err)
	assert.True(t, c.Enabled(), "SENTRY_SPOTLIGHT alone enables the client")
	c.CaptureMessage("to the sidecar")
	closeClient(t, c)
	require.Len(t, got(), 1)
	assert.Equal(t, uint64(1), c.Stats().Delivered)
}

func TestSpotlightBesideTheServer(t *testing.T) {
	side, got := sidecar(t)
	srv := raventest.NewServer(t)
	c, err := raven.New(raven.WithDSN(srv.DSN()), raven.WithSpotlight(side.URL+"/stream"))
	require.NoError(t, err)
	c.CaptureMessage("both")
	closeClient(t, c)
	assert.Len(t, srv.Events(), 1)
	assert.Len(t, got(), 1)
}

func TestSpotlightDownChangesNothing(t *testing.T) {
	srv := raventest.NewServer(t)
	c, err := raven.New(raven.WithDSN(srv.DSN()), raven.WithSpotlight("http://127.0.0.1:1/stream"))
	require.NoError(t, err)
	c.CaptureMessage("server still gets it")
	require.NoError(t, c.Close(context.Background()))
	assert.Len(t, srv.Events(), 1)
	assert.Zero(t, c.Stats().DroppedTotal())
}

func TestSpotlightEnvValues(t *testing.T) {
	for _, v := range []string{"0", "false", ""} {
		t.Setenv(raven.EnvDSN, "")
		t.Setenv(raven.EnvSpotlight, v)
		c, err := raven.New()
		require.NoError(t, err)
		assert.False(t, c.Enabled(), "SENTRY_SPOTLIGHT=%q", v)
	}
}
