package raven_test

import (
	"cmp"
	"context"
	"strings"
	"testing"

	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/internal/schematest"
	"github.com/ravenkit/raven/raventest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func deepStack(n int, f func()) {
	if n == 0 {
		f()
		return
	}
	deepStack(n-1, f)
}

func TestOversizedEventsAreTrimmedNotRejected(t *testing.T) {
	tests := []struct {
		name  string
		setup func(c *raven.Client) *raven.Event
		check func(t *testing.T, ev *raven.Event)
	}{
		{"huge breadcrumbs", func(c *raven.Client) *raven.Event {
			for i := 0; i < 100; i++ {
				c.Scope().AddBreadcrumb(raven.Breadcrumb{Message: strings.Repeat("b", 30<<10)})
			}
			return nil
		}, func(t *testing.T, ev *raven.Event) {
			require.NotNil(t, ev.Breadcrumbs)
			require.Len(t, ev.Breadcrumbs.Values, 100, "every breadcrumb stays, shortened")
			for _, b := range ev.Breadcrumbs.Values {
				assert.Contains(t, b.Message, " bytes cut]")
			}
		}},
		{"huge extra", func(c *raven.Client) *raven.Event {
			c.Scope().SetExtra("blob", strings.Repeat("x", 3<<20))
			c.Scope().SetExtra("small", "kept key")
			return nil
		}, func(t *testing.T, ev *raven.Event) {
			assert.Contains(t, ev.Extra, "blob", "the key stays, with a marker")
			assert.NotEqual(t, strings.Repeat("x", 3<<20), ev.Extra["blob"])
		}},
		{"huge message", func(c *raven.Client) *raven.Event {
			return &raven.Event{Message: &raven.LogEntry{Formatted: strings.Repeat("m", 2<<20)}}
		}, func(t *testing.T, ev *raven.Event) {
			assert.Less(t, len(ev.Message.Formatted), 2<<20)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := raventest.NewServer(t)
			c, err := raven.New(raven.WithDSN(srv.DSN()))
			require.NoError(t, err)
			if ev := tt.setup(c); ev != nil {
				c.CaptureEvent(context.Background(), ev)
			} else {
				c.CaptureMessage("big")
			}
			closeClient(t, c)
			require.Len(t, srv.RawEvents(), 1, "delivered, not rejected: %v", c.Stats().Dropped)
			raw := srv.RawEvents()[0]
			assert.LessOrEqual(t, len(raw), raven.MaxEventBytes)
			schematest.Check(t, raw)
			tt.check(t, srv.Events()[0])
		})
	}
}

func TestHugeStackTrimmed(t *testing.T) {
	srv := raventest.NewServer(t)
	// no frame cap from the symbolizer: only the size budget limits
	c, err := raven.New(raven.WithDSN(srv.DSN()), raven.WithAttachStacktrace(true),
		raven.WithMaxFrames(200000), raven.WithContextLines(0))
	require.NoError(t, err)
	deepStack(100000, func() { c.CaptureMessage("deep") })
	closeClient(t, c)
	require.Len(t, srv.RawEvents(), 1, "%v", c.Stats().Dropped)
	raw := srv.RawEvents()[0]
	assert.LessOrEqual(t, len(raw), raven.MaxEventBytes)
	schematest.Check(t, raw)
	frames := srv.Events()[0].Threads.Values[0].Stacktrace.Frames
	assert.Greater(t, len(frames), 100)
	assert.Less(t, len(frames), 100000)
	assert.Equal(t, "testing", frames[0].Module, "the outermost frames are kept")
	assert.Equal(t, "TestHugeStackTrimmed.func1", cmp.Or(frames[len(frames)-1].RawFunction, frames[len(frames)-1].Function), "and the innermost")
}
