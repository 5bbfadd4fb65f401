package benchmarks

import (
	"context"
	"io"
	"testing"

	"github.com/getsentry/sentry-go"
	sentrylogrus "github.com/getsentry/sentry-go/logrus"
	ravenlogrus "github.com/ravenkit/raven/integrations/logrus"
	"github.com/sirupsen/logrus"
)

// BenchmarkLogrus: one logrus entry per operation. The official hook of
// github.com/getsentry/sentry-go/logrus v0.49.0 (v0.50.0 is not served by
// the module proxy; sentry-go itself is v0.50.0) sends entries as Sentry
// Logs, batched, and neither records breadcrumbs nor reports events: it is
// registered for info and above, so its "breadcrumb" and "event" rows are
// the cost of one log entry each.
func BenchmarkLogrus(b *testing.B) {
	benchLogger(b, []string{"bare", "raven", "sentry"}, func(b *testing.B, sdk string, rec logRecord) logSetup {
		logger := logrus.New()
		logger.SetOutput(io.Discard)
		logger.SetFormatter(&logrus.JSONFormatter{})
		logger.SetLevel(logrus.DebugLevel)
		var s logSetup
		ctx := context.Background()
		switch sdk {
		case "raven":
			c, rctx, rs := ravenForLogs(b, rec)
			s, ctx = rs, rctx
			logger.AddHook(ravenlogrus.NewHook(ravenlogrus.WithClient(c)))
		case "sentry":
			tr := &sentryMem{}
			c, hub := newSentry(b, sentry.ClientOptions{Dsn: memDSN, Transport: tr})
			ctx = sentry.SetHubOnContext(ctx, hub)
			logger.AddHook(sentrylogrus.NewLogHookFromClient([]logrus.Level{logrus.PanicLevel, logrus.FatalLevel,
				logrus.ErrorLevel, logrus.WarnLevel, logrus.InfoLevel}, c))
			if rec != recordBelow {
				s.drain = func() { flushSentry(b, c) }
			}
		}
		entry := logger.WithContext(ctx)
		switch rec {
		case recordBelow:
			s.log = func() { entry.WithField("order", 42).Debug("cache warm") }
		case recordBreadcrumb:
			s.log = func() { entry.WithField("order", 42).Info("cache miss") }
		case recordEvent:
			s.log = func() { entry.WithField("order", 42).WithError(errChain).Error("charge failed") }
		}
		return s
	})
}
