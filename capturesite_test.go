package raven_test

import (
	"cmp"
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/ravenkit/raven"
	"github.com/stretchr/testify/require"
)

// callerName is the function that calls it.
func callerName() string {
	pc, _, _, _ := runtime.Caller(1)
	name := runtime.FuncForPC(pc).Name() // path/to/pkg.Func.func1
	name = name[strings.LastIndex(name, "/")+1:]
	return name[strings.Index(name, ".")+1:]
}

// TestCaptureSiteIsInnermostFrame checks that every capture entry point
// records the stack from its caller: the innermost frame is the function
// that called the SDK, not the caller's caller.
func TestCaptureSiteIsInnermostFrame(t *testing.T) {
	err := errors.New("no stack of its own")
	cases := []struct {
		name    string
		capture func(c *raven.Client) string // captures, returns its own name
	}{
		{"Client.CaptureException", func(c *raven.Client) string { c.CaptureException(err); return callerName() }},
		{"Client.CaptureExceptionContext", func(c *raven.Client) string {
			c.CaptureExceptionContext(context.Background(), err)
			return callerName()
		}},
		{"Client.CaptureMessage", func(c *raven.Client) string { c.CaptureMessage("m"); return callerName() }},
		{"Client.CaptureMessageContext", func(c *raven.Client) string {
			c.CaptureMessageContext(context.Background(), "m")
			return callerName()
		}},
		{"CaptureException", func(c *raven.Client) string { raven.CaptureException(err); return callerName() }},
		{"CaptureExceptionContext", func(c *raven.Client) string {
			raven.CaptureExceptionContext(raven.ContextWithScope(context.Background(), c.Scope()), err)
			return callerName()
		}},
		{"CaptureMessage", func(c *raven.Client) string { raven.CaptureMessage("m"); return callerName() }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := make(chan *raven.Event, 1)
			c, err := raven.New(raven.WithDSN("https://k@o.example.com/1"), raven.WithTransport(discard{}),
				raven.WithAttachStacktrace(true),
				raven.WithBeforeSend(func(e *raven.Event, _ *raven.EventHint) *raven.Event { got <- e; return e }))
			require.NoError(t, err)
			raven.SetDefault(c)
			defer raven.SetDefault(nil)
			want := tc.capture(c)
			require.NoError(t, c.Close(context.Background()))
			ev := <-got
			var st *raven.Stacktrace
			switch {
			case ev.Exception != nil:
				st = ev.Exception.Values[len(ev.Exception.Values)-1].Stacktrace
			case ev.Threads != nil:
				st = ev.Threads.Values[0].Stacktrace
			}
			require.NotNil(t, st)
			require.NotEmpty(t, st.Frames)
			top := st.Frames[len(st.Frames)-1]
			require.Equal(t, want, cmp.Or(top.RawFunction, top.Function))
		})
	}
}
