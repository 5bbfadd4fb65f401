package ravenlogrus_test

import (
	"io"
	"testing"

	"github.com/ravenkit/raven/integrations/internal/inttest"
	ravenlogrus "github.com/ravenkit/raven/integrations/logrus"
	"github.com/sirupsen/logrus"
	"github.com/stretchr/testify/assert"
)

// TestAllocs pins what the hook adds on the logging goroutine.
func TestAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	c, ctx := inttest.DisabledClient(t) // breadcrumbs are still recorded
	hook := ravenlogrus.NewHook(ravenlogrus.WithClient(c))
	logger := logrus.New()
	logger.SetOutput(io.Discard)
	entry := logrus.NewEntry(logger).WithContext(ctx).WithField("order", 42)
	entry.Message = "m"

	entry.Level = logrus.DebugLevel
	assert.Zero(t, testing.AllocsPerRun(200, func() { _ = hook.Fire(entry) }), "below the breadcrumb level")
	entry.Level = logrus.InfoLevel
	assert.LessOrEqual(t, testing.AllocsPerRun(200, func() { _ = hook.Fire(entry) }), 3.0, "a breadcrumb: its data map (two allocations) and a boxed field")
}
