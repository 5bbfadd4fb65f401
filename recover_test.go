package raven_test

import (
	"context"
	"errors"
	"testing"

	pkgerrors "github.com/pkg/errors"
	"github.com/ravenkit/raven"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func panicWithCustom() { panic(customPanic{Code: 7}) }

func panicWithString() { panic("string panic") }

func panicWithError() { panic(pkgerrors.New("error panic")) }

func panicWithNilMapWrite() { var m map[string]int; m["x"] = 1 } //lint:ignore SA5000 the panic under test

func panicWithIndex(i int) [3]int { var a [3]int; a[i] = 1; return a }

func TestRecoverPanics(t *testing.T) {
	tests := []struct {
		name     string
		f        func()
		typ      string
		value    string
		topFrame string
	}{
		{"string", panicWithString, "panic", "string panic", "panicWithString"},
		{"custom type", panicWithCustom, "raven_test.customPanic", "{7}", "panicWithCustom"},
		{"error keeps its chain", panicWithError, "error", "error panic", "panicWithError"},
		{"nil map write", panicWithNilMapWrite, "runtime.Error", "assignment to entry in nil map", "panicWithNilMapWrite"},
		{"index out of range", func() { panicWithIndex(5) }, "runtime.Error", "runtime error: index out of range [5] with length 3", "panicWithIndex"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, rec := newClient(t)
			func() {
				defer c.Recover()
				tt.f()
			}()
			flush(t, c)
			ev := rec.events(t)[0]
			assert.Equal(t, "fatal", ev["level"])
			excs := path(ev, "exception", "values").([]any)
			outer := excs[len(excs)-1]
			assert.Equal(t, tt.typ, path(outer, "type"))
			assert.Equal(t, tt.value, path(outer, "value"))
			assert.Equal(t, "panic", path(outer, "mechanism", "type"))
			assert.Equal(t, false, path(outer, "mechanism", "handled"))
			frames := path(outer, "stacktrace", "frames").([]any)
			require.NotEmpty(t, frames)
			var inApp []string
			for _, f := range frames {
				if path(f, "in_app") == true {
					inApp = append(inApp, path(f, "function").(string))
				}
			}
			require.NotEmpty(t, inApp)
			assert.Equal(t, tt.topFrame, inApp[len(inApp)-1], "innermost in-app frame is where it panicked")
		})
	}
}

func TestRecoverContextAndRepanic(t *testing.T) {
	c, rec := newClient(t)
	ctx := raven.WithScope(raven.ContextWithScope(context.Background(), c.Scope()))
	raven.ScopeFromContext(ctx).SetTag("req", "1")
	func() {
		defer c.RecoverContext(ctx)
		panic("with scope")
	}()
	var repanicked any
	func() {
		defer func() { repanicked = recover() }()
		defer c.RecoverRepanic(ctx)
		panic("again")
	}()
	assert.Equal(t, "again", repanicked)
	flush(t, c)
	evs := rec.events(t)
	require.Len(t, evs, 2)
	for _, ev := range evs {
		assert.Equal(t, "1", path(ev, "tags", "req"))
	}
}

func TestPackageLevelAPIUsesDefaultClient(t *testing.T) {
	c, rec := newClient(t)
	raven.SetDefault(c)
	t.Cleanup(func() { raven.SetDefault(nil) })
	ctx := raven.WithScope(context.Background())
	raven.AddBreadcrumb(ctx, raven.Breadcrumb{Message: "b"})
	raven.CaptureException(errors.New("e1"))
	raven.CaptureExceptionContext(ctx, errors.New("e2"))
	raven.CaptureMessage("m1")
	raven.CaptureMessageContext(ctx, "m2")
	raven.CaptureEvent(ctx, &raven.Event{Message: &raven.LogEntry{Formatted: "ev"}})
	func() {
		defer raven.Recover()
		panic("p1")
	}()
	func() {
		defer raven.RecoverContext(ctx)
		panic("p2")
	}()
	func() {
		defer func() { raven.CapturePanic(ctx, recover()) }()
		panic("p3")
	}()
	require.NoError(t, raven.Flush(context.Background()))
	evs := rec.events(t)
	assert.Len(t, evs, 8)
	withCrumb := 0
	for _, ev := range evs {
		if path(ev, "breadcrumbs", "values", 0, "message") == "b" {
			withCrumb++
		}
	}
	assert.Equal(t, 5, withCrumb, "the context's scope is used by the *Context calls only")
	require.NoError(t, raven.Close(context.Background()))
	assert.Empty(t, raven.CaptureMessage("after close"))
	assert.Equal(t, uint64(1), c.Stats().Dropped[raven.DropClosed])
}

type customPanic struct{ Code int }
