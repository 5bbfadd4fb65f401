package raven_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/internal/schematest"
	"github.com/ravenkit/raven/raventest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type cyclicNode struct {
	Name string
	Next *cyclicNode
}

type explodingValue struct{}

func (explodingValue) MarshalJSON() ([]byte, error) { panic("marshal exploded") }

// cyclicMap returns a map holding itself.
func cyclicMap() map[string]any {
	m := map[string]any{"name": "loop"}
	m["self"] = m
	return m
}

// deepMap returns n maps nested in each other.
func deepMap(n int) map[string]any {
	m := map[string]any{"leaf": true}
	for i := 0; i < n; i++ {
		m = map[string]any{"next": m}
	}
	return m
}

// TestHostileValuesOnEveryPath hands cyclic, very deep and exploding
// values to every place that takes user values; each event must arrive,
// valid, with a placeholder where the value was cut.
func TestHostileValuesOnEveryPath(t *testing.T) {
	cyclicSlice := []any{"first", nil}
	cyclicSlice[1] = cyclicSlice
	node := &cyclicNode{Name: "a"}
	node.Next = &cyclicNode{Name: "b", Next: node}

	cases := []struct {
		name        string
		capture     func(c *raven.Client, s *raven.Scope)
		placeholder string
	}{
		{"extra", func(c *raven.Client, s *raven.Scope) {
			s.SetExtra("x", cyclicMap())
			c.CaptureMessage("m")
		}, `"self":"[cycle]"`},
		{"contexts", func(c *raven.Client, s *raven.Scope) {
			s.SetContext("order", map[string]any{"loop": cyclicMap()})
			c.CaptureMessage("m")
		}, `"self":"[cycle]"`},
		{"breadcrumb data", func(c *raven.Client, s *raven.Scope) {
			s.AddBreadcrumb(raven.Breadcrumb{Message: "b", Data: map[string]any{"loop": cyclicMap()}})
			c.CaptureMessage("m")
		}, `"self":"[cycle]"`},
		{"user data", func(c *raven.Client, s *raven.Scope) {
			s.SetUser(&raven.User{ID: "u1", Data: map[string]any{"loop": cyclicMap()}})
			c.CaptureMessage("m")
		}, `"self":"[cycle]"`},
		{"request data", func(c *raven.Client, s *raven.Scope) {
			s.SetRequest(&raven.Request{Method: "POST", URL: "https://shop.example/x", Data: cyclicMap()})
			c.CaptureMessage("m")
		}, `"self":"[cycle]"`},
		{"message params", func(c *raven.Client, s *raven.Scope) {
			c.CaptureEvent(context.Background(), &raven.Event{Message: &raven.LogEntry{Message: "m %v", Formatted: "m", Params: []any{cyclicSlice}}})
		}, `["first","[cycle]"]`},
		{"mechanism data", func(c *raven.Client, s *raven.Scope) {
			c.CaptureEvent(context.Background(), &raven.Event{Exception: &raven.ExceptionList{Values: []raven.Exception{
				{Type: "E", Value: "v", Mechanism: &raven.Mechanism{Type: "generic", Data: map[string]any{"loop": cyclicMap()}}}}}})
		}, `"self":"[cycle]"`},
		{"struct with a pointer cycle", func(c *raven.Client, s *raven.Scope) {
			s.SetExtra("node", node)
			c.CaptureMessage("m")
		}, `"Next":"[cycle]"`},
		{"10000 levels deep", func(c *raven.Client, s *raven.Scope) {
			s.SetExtra("deep", deepMap(10000))
			c.CaptureMessage("m")
		}, `"next":"[depth limit]"`},
		{"panic with a cyclic value", func(c *raven.Client, s *raven.Scope) {
			func() {
				defer c.Recover()
				panic(cyclicMap())
			}()
		}, `[cycle]`},
		{"MarshalJSON panicking", func(c *raven.Client, s *raven.Scope) {
			s.SetExtra("bad", explodingValue{})
			s.SetExtra("good", "kept")
			s.SetTag("t", "kept")
			c.CaptureMessage("m")
		}, `"bad":"[raven_test.explodingValue: MarshalJSON panicked: marshal exploded]"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := raventest.NewServer(t)
			c, err := raven.New(raven.WithDSN(srv.DSN()))
			require.NoError(t, err)
			tc.capture(c, c.Scope())
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			require.NoError(t, c.Close(ctx))
			raw := srv.RawEvents()
			require.Len(t, raw, 1, "the event is still sent")
			assert.Contains(t, string(raw[0]), tc.placeholder)
			schematest.Check(t, raw[0])
			assert.Equal(t, uint64(1), c.Stats().Delivered)
			if tc.name == "MarshalJSON panicking" {
				ev := srv.Events()[0]
				assert.Equal(t, "kept", ev.Extra["good"], "the rest of the event is intact")
				assert.Equal(t, "kept", ev.Tags["t"])
				assert.Equal(t, "m", ev.Message.Formatted)
			}
		})
	}
}

// TestHostileValueInBeforeSend checks the second walk before encoding: a
// hook that adds a cyclic value after the first walk still gets its event
// delivered.
func TestHostileValueInBeforeSend(t *testing.T) {
	srv := raventest.NewServer(t)
	c, err := raven.New(raven.WithDSN(srv.DSN()), raven.WithBeforeSend(func(ev *raven.Event, _ *raven.EventHint) *raven.Event {
		ev.Extra = map[string]any{"late": cyclicMap()}
		return ev
	}))
	require.NoError(t, err)
	c.CaptureMessage("m")
	closeClient(t, c)
	raw := srv.RawEvents()
	require.Len(t, raw, 1)
	assert.True(t, strings.Contains(string(raw[0]), `"self":"[cycle]"`), "%s", raw[0])
	schematest.Check(t, raw[0])
}
