package raven_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/internal/schematest"
	"github.com/ravenkit/raven/raventest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var errOutOfStock = errors.New("out of stock")

type stockError struct{ sku string }

func (e *stockError) Error() string { return "no stock for " + e.sku }

type ctxKey struct{}

// BeforeSend gets the original error (errors.Is and errors.As work), the
// recovered panic value and the capture's context.
func TestBeforeSendHint(t *testing.T) {
	srv := raventest.NewServer(t)
	var mu sync.Mutex
	var hints []raven.EventHint
	c, err := raven.New(raven.WithDSN(srv.DSN()), raven.WithBeforeSend(func(ev *raven.Event, h *raven.EventHint) *raven.Event {
		mu.Lock()
		hints = append(hints, *h)
		mu.Unlock()
		var se *stockError
		if errors.As(h.Err, &se) {
			ev.Tags = map[string]string{"sku": se.sku}
		}
		return ev
	}))
	require.NoError(t, err)
	ctx := context.WithValue(context.Background(), ctxKey{}, "request-7")
	c.CaptureExceptionContext(ctx, fmt.Errorf("checkout: %w", errors.Join(errOutOfStock, &stockError{sku: "A-1"})))
	func() {
		defer c.RecoverContext(ctx)
		panic(42)
	}()
	c.CaptureMessage("no error")
	closeClient(t, c)

	require.Len(t, hints, 3)
	byKind := map[string]raven.EventHint{}
	for _, h := range hints {
		switch {
		case h.Panic != nil:
			byKind["panic"] = h
		case h.Err != nil:
			byKind["error"] = h
		default:
			byKind["message"] = h
		}
	}
	assert.ErrorIs(t, byKind["error"].Err, errOutOfStock)
	assert.Equal(t, "request-7", byKind["error"].Context.Value(ctxKey{}))
	assert.Equal(t, 42, byKind["panic"].Panic)
	assert.Equal(t, "request-7", byKind["panic"].Context.Value(ctxKey{}))
	assert.Nil(t, byKind["message"].Context.Value(ctxKey{}), "CaptureMessage has a context of its own")
	tagged := 0
	for _, ev := range srv.Events() {
		if ev.Tags["sku"] == "A-1" {
			tagged++
		}
	}
	assert.Equal(t, 1, tagged, "errors.As on the hint's error")
}

// WithIgnoreErrorsIs drops events whose error is a target anywhere in the
// chain, joins included, and counts them; other errors go through.
func TestIgnoreErrorsIs(t *testing.T) {
	srv := raventest.NewServer(t)
	c, err := raven.New(raven.WithDSN(srv.DSN()), raven.WithIgnoreErrorsIs(context.Canceled, io.EOF))
	require.NoError(t, err)
	c.CaptureException(fmt.Errorf("query: %w", context.Canceled))
	c.CaptureException(errors.Join(errors.New("first"), fmt.Errorf("read: %w", io.EOF)))
	c.CaptureException(fmt.Errorf("read: %w", io.ErrUnexpectedEOF))
	closeClient(t, c)
	require.Len(t, srv.Events(), 1)
	assert.Equal(t, io.ErrUnexpectedEOF.Error(), srv.Events()[0].Exception.Values[0].Value)
	assert.Equal(t, uint64(2), c.Stats().Dropped[raven.DropEventProcessor])
}

// The scope's setters and removers change the scope they are called on
// only: a forked child's changes never reach its parent or its siblings,
// and Clear empties one scope alone. A scope's event processor sees the
// events of that scope only.
func TestScopeMethodsIsolation(t *testing.T) {
	srv := raventest.NewServer(t)
	c, err := raven.New(raven.WithDSN(srv.DSN()))
	require.NoError(t, err)
	root := c.Scope()
	root.SetExtras(map[string]any{"shared": 1, "gone": 2})
	root.SetContexts(map[string]map[string]any{"app": {"v": "1"}, "old": {"x": 1}})
	root.SetTag("region", "eu")

	a := c.WithScope(context.Background())
	b := c.WithScope(context.Background())
	sa, sb := raven.ScopeFromContext(a), raven.ScopeFromContext(b)
	sa.RemoveExtra("gone")
	sa.RemoveContext("old")
	sa.RemoveTag("region")
	sa.SetLevel(raven.LevelWarning)
	sa.SetFingerprint([]string{"checkout-bug"})
	sa.AddEventProcessor(func(ev *raven.Event, h *raven.EventHint) *raven.Event {
		if errors.Is(h.Err, errOutOfStock) {
			return nil
		}
		if ev.Tags == nil {
			ev.Tags = map[string]string{}
		}
		ev.Tags["processed"] = "a"
		return ev
	})
	sb.Clear()

	c.CaptureExceptionContext(a, errors.New("from a"))
	c.CaptureExceptionContext(a, fmt.Errorf("dropped by a's processor: %w", errOutOfStock))
	c.CaptureExceptionContext(b, errors.New("from b"))
	c.CaptureException(errors.New("from root"))
	closeClient(t, c)

	byValue := map[string]*raven.Event{}
	for _, ev := range srv.Events() {
		byValue[ev.Exception.Values[len(ev.Exception.Values)-1].Value] = ev
	}
	for _, raw := range srv.RawEvents() {
		schematest.Check(t, raw)
	}
	require.Len(t, byValue, 3)
	ea, eb, er := byValue["from a"], byValue["from b"], byValue["from root"]
	require.NotNil(t, ea)
	require.NotNil(t, eb)
	require.NotNil(t, er)

	assert.Equal(t, map[string]any{"shared": float64(1)}, ea.Extra)
	assert.NotContains(t, ea.Contexts, "old")
	assert.Contains(t, ea.Contexts, "app")
	assert.NotContains(t, ea.Tags, "region")
	assert.Equal(t, "a", ea.Tags["processed"])
	assert.Equal(t, raven.LevelWarning, ea.Level)
	assert.Equal(t, []string{"checkout-bug"}, ea.Fingerprint)

	assert.Empty(t, eb.Extra, "b was cleared")
	assert.NotContains(t, eb.Contexts, "app")
	assert.NotContains(t, eb.Tags, "region")
	assert.NotContains(t, eb.Tags, "processed", "a's processor never sees b's events")

	assert.Equal(t, map[string]any{"shared": float64(1), "gone": float64(2)}, er.Extra, "the root keeps what a removed")
	assert.Contains(t, er.Contexts, "old")
	assert.Equal(t, "eu", er.Tags["region"])
	assert.Equal(t, raven.LevelError, er.Level)
	assert.Nil(t, er.Fingerprint)
	assert.Equal(t, uint64(1), c.Stats().Dropped[raven.DropEventProcessor])
}

// Tags the server would remove arrive fixed: keys of other characters get
// '_', values lose line breaks, both are cut to 200 characters; even tags
// a BeforeSend hook adds.
func TestTagsArriveSanitized(t *testing.T) {
	srv := raventest.NewServer(t)
	c, err := raven.New(raven.WithDSN(srv.DSN()), raven.WithTags(map[string]string{"build id": "a\nb"}),
		raven.WithBeforeSend(func(ev *raven.Event, _ *raven.EventHint) *raven.Event {
			ev.Tags["hook\xfftag"] = strings.Repeat("x", 500)
			return ev
		}))
	require.NoError(t, err)
	c.CaptureMessage("tags")
	closeClient(t, c)
	require.Len(t, srv.Events(), 1)
	tags := srv.Events()[0].Tags
	assert.Equal(t, "a b", tags["build_id"])
	assert.Len(t, []rune(tags["hook_tag"]), 200)
	schematest.Check(t, srv.RawEvents()[0])
}
