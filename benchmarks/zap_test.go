package benchmarks

import (
	"io"
	"testing"

	ravenzap "github.com/ravenkit/raven/integrations/zap"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// BenchmarkZap: one zap entry per operation, through a JSON core writing
// to io.Discard. sentry-go has no zap integration (no module
// github.com/getsentry/sentry-go/zap is served), so raven is compared with
// the bare logger only.
func BenchmarkZap(b *testing.B) {
	benchLogger(b, []string{"bare", "raven"}, func(b *testing.B, sdk string, rec logRecord) logSetup {
		core := zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(io.Discard), zapcore.DebugLevel)
		var s logSetup
		logger := zap.New(core)
		if sdk == "raven" {
			c, ctx, rs := ravenForLogs(b, rec)
			s = rs
			logger = zap.New(zapcore.NewTee(core, ravenzap.NewCore(ravenzap.WithClient(c)))).With(ravenzap.Context(ctx))
		}
		switch rec {
		case recordBelow:
			s.log = func() { logger.Debug("cache warm", zap.Int("order", 42)) }
		case recordBreadcrumb:
			s.log = func() { logger.Info("cache miss", zap.Int("order", 42)) }
		case recordEvent:
			s.log = func() { logger.Error("charge failed", zap.Int("order", 42), zap.Error(errChain)) }
		}
		return s
	})
}
