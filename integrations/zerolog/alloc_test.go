package ravenzerolog_test

import (
	"io"
	"testing"

	"github.com/ravenkit/raven/integrations/internal/inttest"
	ravenzerolog "github.com/ravenkit/raven/integrations/zerolog"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
)

// TestAllocs pins what the Writer and its hook add on the logging
// goroutine.
func TestAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	c, ctx := inttest.DisabledClient(t) // breadcrumbs are still recorded
	w := ravenzerolog.NewWriter(io.Discard, ravenzerolog.WithClient(c))
	logger := zerolog.New(w).Hook(w).With().Ctx(ctx).Logger()
	bare := zerolog.New(io.Discard).With().Ctx(ctx).Logger()

	assert.Zero(t, testing.AllocsPerRun(200, func() { logger.Debug().Int("order", 42).Msg("m") }), "below the breadcrumb level")
	base := testing.AllocsPerRun(200, func() { bare.Info().Int("order", 42).Msg("m") })
	assert.LessOrEqual(t, testing.AllocsPerRun(200, func() { logger.Info().Int("order", 42).Msg("m") })-base, 3.0,
		"a breadcrumb: the data map (two) and the breadcrumb the scope keeps; the hook's record, the message and the key cost none")
}
