package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestRavenDeliversTheWholeBurst(t *testing.T) {
	cfg := Config{N: 300, Latency: 5 * time.Millisecond, Timeout: 30 * time.Second, SDKs: []string{"raven"}}
	results, err := Run(cfg)
	require.NoError(t, err)
	require.Len(t, results, 1)
	r := results[0]
	assert.Equal(t, "raven", r.SDK)
	assert.Equal(t, int64(300), r.Captured)
	assert.Equal(t, int64(300), r.Delivered, "every captured event reaches the server")
	assert.Zero(t, r.Reported)
	assert.Zero(t, r.Silent)
	assert.True(t, r.FlushCompleted)
	assert.Empty(t, r.Note)
}

func TestEveryEventIsAccountedFor(t *testing.T) {
	// A queue of 100 (raven-go) or a buffer of 100 (sentry-go) overflows
	// in a burst of 300: the program must see the drops, wherever the SDK
	// reports them, and count the rest as silent.
	cfg := Config{N: 300, Latency: time.Millisecond, Timeout: 30 * time.Second}
	results, err := Run(cfg)
	require.NoError(t, err)
	require.Len(t, results, len(SDKs))
	for i, r := range results {
		t.Run(r.SDK, func(t *testing.T) {
			assert.Equal(t, SDKs[i], r.SDK)
			assert.Equal(t, int64(300), r.Captured)
			assert.Positive(t, r.Delivered)
			assert.LessOrEqual(t, r.Delivered, r.Captured)
			assert.Equal(t, r.Captured, r.Delivered+r.Reported+r.Silent)
			assert.True(t, r.FlushCompleted)
			assert.Empty(t, r.Note)
		})
	}
	var out bytes.Buffer
	Print(&out, cfg, results)
	for _, name := range SDKs {
		assert.Contains(t, out.String(), name)
	}
}

func TestRejectsBadConfig(t *testing.T) {
	_, err := Run(Config{N: 0})
	require.Error(t, err)
	_, err = Run(Config{N: 1, SDKs: []string{"nope"}})
	require.ErrorContains(t, err, "unknown SDK")
}
