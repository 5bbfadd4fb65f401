package raven_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/raventest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A BeforeSend hook that writes into every map of the event it gets, on
// several senders at once, changes neither the scope nor the maps other
// events share (the SDK's contexts): no data race, no change seen by the
// next event.
func TestHookWritesDoNotReachSharedMaps(t *testing.T) {
	srv := raventest.NewServer(t)
	var mu sync.Mutex
	var seenOS []any
	c, err := raven.New(raven.WithDSN(srv.DSN()), raven.WithSenders(4),
		raven.WithBeforeSend(func(ev *raven.Event, _ *raven.EventHint) *raven.Event {
			mu.Lock()
			seenOS = append(seenOS, ev.Contexts["os"]["hooked"])
			mu.Unlock()
			for _, m := range ev.Contexts {
				m["hooked"] = true
			}
			ev.Extra["hooked"] = true
			ev.Tags["hooked"] = "yes"
			for _, b := range ev.Breadcrumbs.Values {
				b.Data["hooked"] = true
			}
			return ev
		}))
	require.NoError(t, err)
	s := c.Scope()
	s.SetExtra("k", "v")
	s.SetTag("t", "v")
	s.SetContext("app", map[string]any{"name": "shop"})
	s.AddBreadcrumb(raven.Breadcrumb{Message: "m", Data: map[string]any{"d": "v"}})
	for range 200 {
		c.CaptureMessage("hooked")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, c.Close(ctx))
	for _, v := range seenOS {
		assert.Nil(t, v, "a hook's write reached the next event")
	}
	assert.Equal(t, map[string]string{"t": "v"}, s.Tags())
	assert.Equal(t, map[string]any{"d": "v"}, s.Breadcrumbs()[0].Data)
}
