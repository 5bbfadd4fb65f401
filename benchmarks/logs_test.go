package benchmarks

import (
	"context"
	"testing"

	"github.com/ravenkit/raven"
)

// The logger benchmarks (BenchmarkLogrus, BenchmarkZap, BenchmarkZerolog)
// log one record per operation through a logger that writes JSON to
// io.Discard: "bare" is the logger alone, "raven" adds raven's
// integration, "sentry" the official sentry-go integration where one
// exists. The added cost of an integration is its figure minus bare's.
// Three records: one below the breadcrumb level (debug), one that is a
// breadcrumb (info) and one that is an event (error with errChain), each
// with one field, logged with a context whose scope holds one tag and 20
// breadcrumbs.

// logRecord is the kind of record a logger benchmark writes.
type logRecord int

const (
	recordBelow      logRecord = iota // debug: below the breadcrumb level
	recordBreadcrumb                  // info: a breadcrumb
	recordEvent                       // error with errChain: an event
)

var logRecords = []struct {
	name string
	rec  logRecord
}{{"below", recordBelow}, {"breadcrumb", recordBreadcrumb}, {"event", recordEvent}}

// logSetup is one logger under test: log writes one record; drain and park
// are given to callerLoop (nil when nothing is queued); events, when set,
// counts the events that reached the transport.
type logSetup struct {
	log         func()
	drain, park func()
	events      func() int64
}

// benchLogger runs every record kind through every SDK's setup.
func benchLogger(b *testing.B, sdks []string, setup func(b *testing.B, sdk string, rec logRecord) logSetup) {
	for _, r := range logRecords {
		b.Run(r.name, func(b *testing.B) {
			for _, sdk := range sdks {
				b.Run(sdk, func(b *testing.B) {
					s := setup(b, sdk, r.rec)
					if s.log == nil {
						b.Skip("no such integration")
					}
					callerLoop(b, s.log, s.drain, s.park)
					if s.events != nil {
						expect(b, sdk, s.events())
					}
				})
			}
		})
	}
}

// ravenForLogs returns a client with an in-memory transport and a context
// carrying a scope with one tag and 20 breadcrumbs; for event records it
// also returns the drain, park and count of the transport.
func ravenForLogs(b *testing.B, rec logRecord) (*raven.Client, context.Context, logSetup) {
	tr := &ravenMem{}
	c, ctx := newRaven(b, raven.WithDSN(memDSN), raven.WithTransport(tr), raven.WithSenders(1))
	if rec != recordEvent {
		return c, ctx, logSetup{}
	}
	return c, ctx, logSetup{
		drain:  func() { tr.unpark(); flushRaven(b, c) },
		park:   func() { tr.park(func() { c.CaptureMessageContext(ctx, "park") }) },
		events: func() int64 { return tr.events.Load() - tr.parks },
	}
}
