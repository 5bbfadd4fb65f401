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

func TestFloodMeasuresEverySDK(t *testing.T) {
	cfg := Config{Duration: 300 * time.Millisecond, Goroutines: 2}
	results, err := Run(cfg)
	require.NoError(t, err)
	require.Len(t, results, len(SDKs))
	for i, r := range results {
		assert.Equal(t, SDKs[i], r.SDK)
		assert.Positive(t, r.PacedPerSec, "%s: the paced phase delivers", r.SDK)
		assert.Positive(t, r.FloodCaptured, "%s: the flood captures", r.SDK)
		assert.Positive(t, r.QuietCaptured, "%s: the quiet site captures", r.SDK)
		assert.LessOrEqual(t, r.QuietArrived, r.QuietCaptured, "%s: only the quiet site's events are counted as its own", r.SDK)
		assert.Empty(t, r.Note)
	}
	var out bytes.Buffer
	Print(&out, cfg, results)
	assert.Contains(t, out.String(), "share of paced")
}

func TestRunRejectsEmptyConfig(t *testing.T) {
	_, err := Run(Config{})
	assert.Error(t, err)
	_, err = Run(Config{Duration: time.Second, Goroutines: 1, SDKs: []string{"nope"}})
	assert.Error(t, err)
}
