package ravenzap_test

import (
	"testing"

	"github.com/ravenkit/raven/integrations/internal/inttest"
	ravenzap "github.com/ravenkit/raven/integrations/zap"
	"github.com/stretchr/testify/assert"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// TestAllocs pins what the core adds on the logging goroutine.
func TestAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	c, ctx := inttest.DisabledClient(t) // breadcrumbs are still recorded
	core := ravenzap.NewCore(ravenzap.WithClient(c)).With([]zapcore.Field{ravenzap.Context(ctx)})
	fields := []zapcore.Field{zap.Int("order", 42)}

	debug := zapcore.Entry{Level: zapcore.DebugLevel, Message: "m"}
	assert.Zero(t, testing.AllocsPerRun(200, func() { _ = core.Check(debug, nil) }), "below the breadcrumb level")
	info := zapcore.Entry{Level: zapcore.InfoLevel, Message: "m"}
	assert.LessOrEqual(t, testing.AllocsPerRun(200, func() { _ = core.Write(info, fields) }), 3.0, "a breadcrumb: its data map (two allocations) and a boxed field")
}
