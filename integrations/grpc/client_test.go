package ravengrpc_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ravenkit/raven"
	ravengrpc "github.com/ravenkit/raven/integrations/grpc"
	"github.com/ravenkit/raven/integrations/internal/inttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
)

func TestClientBreadcrumbs(t *testing.T) {
	e := start(t, config{})
	ctx := e.c.WithScope(context.Background())
	assert.Equal(t, codes.OK, e.check(ctx, "fine"))
	assert.Equal(t, codes.NotFound, e.check(ctx, "notfound"))
	assert.Equal(t, codes.OK, e.watch(ctx, "fine"))
	assert.Equal(t, codes.Internal, e.watch(ctx, "internal"))
	e.c.CaptureMessageContext(ctx, "after the calls")
	evs := e.events(t)
	var msg *raven.Event
	for _, ev := range evs {
		if ev.Message != nil && ev.Message.Formatted == "after the calls" {
			msg = ev
		} else {
			assert.NotEmpty(t, ev.Tags["grpc.code"], "the other events are the server's")
		}
	}
	require.Len(t, evs, 2, "the server's Internal and the message: the client reports nothing by default")
	require.NotNil(t, msg)
	require.NotNil(t, msg.Breadcrumbs)
	crumbs := msg.Breadcrumbs.Values
	require.Len(t, crumbs, 4)
	want := []struct {
		method, code string
		level        raven.Level
	}{
		{checkMethod, "OK", raven.LevelInfo},
		{checkMethod, "NotFound", raven.LevelWarning},
		{watchMethod, "OK", raven.LevelInfo},
		{watchMethod, "Internal", raven.LevelError},
	}
	for i, w := range want {
		b := crumbs[i]
		assert.Equal(t, "default", b.Type)
		assert.Equal(t, "grpc", b.Category)
		assert.Equal(t, w.method, b.Message)
		assert.Equal(t, w.level, b.Level)
		assert.Equal(t, w.method, b.Data["method"])
		assert.Equal(t, w.code, b.Data["code"])
		d, ok := b.Data["duration_ms"].(float64)
		assert.True(t, ok && d >= 0, "duration_ms: %#v", b.Data["duration_ms"])
	}
}

func TestClientReportsChosenCodes(t *testing.T) {
	e := start(t, config{
		server: []ravengrpc.Option{ravengrpc.WithReportCodes()},
		client: []ravengrpc.Option{ravengrpc.WithReportClientErrors(codes.NotFound)},
	})
	ctx := e.c.WithScope(context.Background())
	raven.ScopeFromContext(ctx).SetTag("caller", "yes")
	e.check(ctx, "notfound")
	e.check(ctx, "internal") // not chosen
	e.watch(ctx, "notfound")
	assert.Equal(t, map[string]string{"caller": "yes"}, raven.ScopeFromContext(ctx).Tags(),
		"the caller's scope gets no tag from the report")
	evs := e.events(t)
	require.Len(t, evs, 2)
	methods := map[any]bool{}
	for _, ev := range evs {
		assert.Equal(t, "NotFound", ev.Tags["grpc.code"])
		assert.Equal(t, "yes", ev.Tags["caller"], "the report carries the caller's scope")
		assert.Equal(t, "rpc error: code = NotFound desc = no such service", inttest.LastException(t, ev).Value)
		methods[ev.Contexts["grpc"]["method"]] = true
	}
	assert.Equal(t, map[any]bool{checkMethod: true, watchMethod: true}, methods)
}

func TestWithReportClientErrorsDefaultsToTheServerSet(t *testing.T) {
	e := start(t, config{
		server: []ravengrpc.Option{ravengrpc.WithReportCodes()},
		client: []ravengrpc.Option{ravengrpc.WithReportClientErrors()},
	})
	ctx := e.c.WithScope(context.Background())
	e.check(ctx, "notfound")
	e.check(ctx, "internal")
	evs := e.events(t)
	require.Len(t, evs, 1)
	assert.Equal(t, "Internal", evs[0].Tags["grpc.code"])
}

func TestTraceIsPropagatedThroughTheClient(t *testing.T) {
	e := start(t, config{})
	trace, caller := strings.Repeat("e", 32), strings.Repeat("f", 16)
	ctx := metadata.AppendToOutgoingContext(context.Background(), "sentry-trace", trace+"-"+caller+"-1")
	assert.Equal(t, codes.Internal, e.check(ctx, "relay"))
	evs := e.events(t)
	require.Len(t, evs, 3, "the relay's message, the inner call's Internal, the relay's returned Internal")
	var relay map[string]any
	for _, ev := range evs {
		require.NotNil(t, ev.Contexts["trace"])
		assert.Equal(t, trace, ev.Contexts["trace"]["trace_id"], "every event is in the caller's trace")
		if ev.Message != nil && ev.Message.Formatted == "relaying" {
			relay = ev.Contexts["trace"]
		}
	}
	require.NotNil(t, relay)
	span := relay["span_id"].(string)
	assert.Equal(t, caller, relay["parent_span_id"])
	var inner int
	for _, ev := range evs {
		md, _ := ev.Contexts["grpc"]["metadata"].(map[string]any)
		if md["sentry-trace"] == trace+"-"+span+"-1" {
			inner++
			assert.Equal(t, "00-"+trace+"-"+span+"-01", md["traceparent"])
			assert.Equal(t, span, ev.Contexts["trace"]["parent_span_id"], "the inner call's parent is the relaying call")
		}
	}
	assert.Equal(t, 1, inner, "one event of the inner call")
}

func TestCallerSetTraceMetadataIsKept(t *testing.T) {
	e := start(t, config{})
	ctx := metadata.AppendToOutgoingContext(context.Background(),
		"sentry-trace", strings.Repeat("e", 32)+"-"+strings.Repeat("f", 16)+"-1")
	e.check(ctx, "relay-own")
	evs := e.events(t)
	require.Len(t, evs, 2, "the inner call's Internal, the relay's returned Internal")
	var inner int
	for _, ev := range evs {
		md := ev.Contexts["grpc"]["metadata"].(map[string]any)
		if md["sentry-trace"] == ownTrace {
			inner++
			assert.NotContains(t, md, "traceparent", "nothing added to what the caller set")
			assert.Equal(t, strings.Repeat("1", 32), ev.Contexts["trace"]["trace_id"])
		}
	}
	assert.Equal(t, 1, inner)
}

func TestNoTraceWithoutAnIncomingOne(t *testing.T) {
	e := start(t, config{})
	e.check(context.Background(), "relay")
	evs := e.events(t)
	require.Len(t, evs, 3)
	for _, ev := range evs {
		md := ev.Contexts["grpc"]["metadata"].(map[string]any)
		assert.NotContains(t, md, "sentry-trace")
		assert.NotContains(t, md, "traceparent")
		assert.Nil(t, ev.Contexts["trace"], "no trace is started without an incoming one")
	}
}
