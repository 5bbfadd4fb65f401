package benchmarks

import (
	"io"
	"testing"

	"github.com/getsentry/sentry-go"
	ravenzap "github.com/ravenkit/raven/integrations/zap"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// BenchmarkZap: one zap entry per operation, through a JSON core writing
// to io.Discard. No module github.com/getsentry/sentry-go/zap is served, so
// sentry-manual is sentry-go's documented manual setup (sentryZapCore, see
// sentrymanual_test.go) teed beside the JSON core, on a hub whose scope
// holds what raven's does.
func BenchmarkZap(b *testing.B) {
	benchLogger(b, []string{"bare", "raven", "sentry-manual"}, func(b *testing.B, sdk string, rec logRecord) logSetup {
		core := zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(io.Discard), zapcore.DebugLevel)
		var s logSetup
		logger := zap.New(core)
		switch sdk {
		case "raven":
			c, ctx, rs := ravenForLogs(b, rec)
			s = rs
			logger = zap.New(zapcore.NewTee(core, ravenzap.NewCore(ravenzap.WithClient(c)))).With(ravenzap.Context(ctx))
		case "sentry-manual":
			tr := &sentryMem{}
			_, hub := newSentry(b, sentry.ClientOptions{Dsn: memDSN, Transport: tr})
			logger = zap.New(zapcore.NewTee(core, &sentryZapCore{hub: hub}))
			if rec == recordEvent {
				s.events = func() int64 { return tr.events.Load() }
			}
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
