package benchmarks

import (
	"context"
	"io"
	"testing"

	"github.com/getsentry/sentry-go"
	sentryzerolog "github.com/getsentry/sentry-go/zerolog"
	ravenzerolog "github.com/ravenkit/raven/integrations/zerolog"
	"github.com/rs/zerolog"
)

// BenchmarkZerolog: one zerolog record per operation, written as JSON to
// io.Discard. The official writer of github.com/getsentry/sentry-go/zerolog
// v0.48.0 (the newest the module proxy serves; sentry-go itself is
// v0.50.0) sits beside the output in a zerolog.MultiLevelWriter, with
// breadcrumbs on: it parses every record and records every record below
// its event levels as a breadcrumb, on the one hub it was built with. raven
// wraps the output and is the logger's hook; its event record adds the
// error with ravenzerolog.Err (the same line as Event.Err), the others
// with Event.Err.
func BenchmarkZerolog(b *testing.B) {
	benchLogger(b, []string{"bare", "raven", "sentry"}, func(b *testing.B, sdk string, rec logRecord) logSetup {
		var s logSetup
		ctx := context.Background()
		logger := zerolog.New(io.Discard)
		withErr := func(e *zerolog.Event) *zerolog.Event { return e.Err(errChain) }
		switch sdk {
		case "raven":
			c, rctx, rs := ravenForLogs(b, rec)
			s, ctx = rs, rctx
			w := ravenzerolog.NewWriter(io.Discard, ravenzerolog.WithClient(c))
			logger = zerolog.New(w).Hook(w)
			withErr = func(e *zerolog.Event) *zerolog.Event { return e.EmbedObject(ravenzerolog.Err(errChain)) }
		case "sentry":
			tr := &sentryMem{}
			_, hub := newSentry(b, sentry.ClientOptions{Dsn: memDSN, Transport: tr})
			w, err := sentryzerolog.NewWithHub(hub, sentryzerolog.Options{WithBreadcrumbs: true})
			if err != nil {
				b.Fatal(err)
			}
			logger = zerolog.New(zerolog.MultiLevelWriter(io.Discard, w))
			if rec == recordEvent {
				s.events = func() int64 { return tr.events.Load() }
			}
		}
		logger = logger.Level(zerolog.DebugLevel).With().Timestamp().Ctx(ctx).Logger()
		switch rec {
		case recordBelow:
			s.log = func() { logger.Debug().Int("order", 42).Msg("cache warm") }
		case recordBreadcrumb:
			s.log = func() { logger.Info().Int("order", 42).Msg("cache miss") }
		case recordEvent:
			s.log = func() { withErr(logger.Error().Int("order", 42)).Msg("charge failed") }
		}
		return s
	})
}
