package ravengrpc_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/ravenkit/raven"
	ravengrpc "github.com/ravenkit/raven/integrations/grpc"
	"github.com/ravenkit/raven/integrations/internal/inttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	hv1 "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

func TestUnaryPanicIsReportedAndAnsweredInternal(t *testing.T) {
	e := start(t, config{})
	_, err := e.health.Check(context.Background(), &hv1.HealthCheckRequest{Service: "panic"})
	st := status.Convert(err)
	assert.Equal(t, codes.Internal, st.Code())
	assert.Equal(t, "internal error", st.Message(), "the panic value never reaches the caller")
	evs := e.events(t)
	require.Len(t, evs, 1)
	ev := evs[0]
	exc := inttest.LastException(t, ev)
	assert.Equal(t, "boom in panic", exc.Value)
	assert.Equal(t, "panic", exc.Mechanism.Type)
	require.NotNil(t, exc.Mechanism.Handled)
	assert.False(t, *exc.Mechanism.Handled)
	frames := exc.Stacktrace.Frames
	require.NotEmpty(t, frames)
	assert.Contains(t, frames[len(frames)-1].Function, "behave", "the stack ends where the panic happened")
	for _, f := range frames {
		assert.NotEqual(t, "github.com/ravenkit/raven/integrations/grpc", f.Module, "interceptor frames are dropped")
	}
	assert.Equal(t, checkMethod, ev.Transaction)
	assert.Equal(t, "Internal", ev.Tags["grpc.code"])
	assert.Equal(t, checkMethod, ev.Contexts["grpc"]["method"])
}

func TestUnaryReturnedErrorsByCode(t *testing.T) {
	e := start(t, config{})
	ctx := context.Background()
	assert.Equal(t, codes.Internal, e.check(ctx, "internal"))
	assert.Equal(t, codes.Unknown, e.check(ctx, "plain"))
	assert.Equal(t, codes.NotFound, e.check(ctx, "notfound"))
	assert.Equal(t, codes.InvalidArgument, e.check(ctx, "invalid"))
	assert.Equal(t, codes.Canceled, e.check(ctx, "canceled"))
	assert.Equal(t, codes.OK, e.check(ctx, "fine"))
	evs := e.events(t)
	require.Len(t, evs, 2, "Internal and Unknown only")
	byCode := map[string]*raven.Event{}
	for _, ev := range evs {
		byCode[ev.Tags["grpc.code"]] = ev
		assert.Equal(t, checkMethod, ev.Transaction)
		assert.Equal(t, raven.LevelError, ev.Level)
		assert.Equal(t, []string{"{{ default }}", checkMethod, ev.Tags["grpc.code"]}, ev.Fingerprint)
	}
	require.Contains(t, byCode, "Internal")
	require.Contains(t, byCode, "Unknown")
	assert.Equal(t, "rpc error: code = Internal desc = db down", inttest.LastException(t, byCode["Internal"]).Value)
	plain := byCode["Unknown"].Exception.Values
	require.Len(t, plain, 2, "the wrapped error's chain")
	assert.Equal(t, "plain failure", plain[0].Value)
	assert.Equal(t, "check: plain failure", plain[1].Value)
}

func TestWithReportCodesReplacesTheDefault(t *testing.T) {
	e := start(t, config{server: []ravengrpc.Option{ravengrpc.WithReportCodes(codes.NotFound, codes.OK)}})
	ctx := context.Background()
	e.check(ctx, "internal")
	e.check(ctx, "notfound")
	evs := e.events(t)
	require.Len(t, evs, 1)
	assert.Equal(t, "NotFound", evs[0].Tags["grpc.code"])
}

func TestWithReportCodesNoneStillReportsPanics(t *testing.T) {
	e := start(t, config{server: []ravengrpc.Option{ravengrpc.WithReportCodes()}})
	ctx := context.Background()
	e.check(ctx, "internal")
	e.check(ctx, "plain")
	e.check(ctx, "panic")
	evs := e.events(t)
	require.Len(t, evs, 1)
	assert.Equal(t, "boom in panic", inttest.LastException(t, evs[0]).Value)
}

func TestGRPCContextMetadata(t *testing.T) {
	// secrets made at run time, so that no source line (context lines are
	// sent) contains them
	secret := func(name string) string { return name + "-" + string(raven.NewEventID())[:12] }
	bearer, cookie, apiKey, bin := secret("bearer"), secret("cookie"), secret("apikey"), secret("bin")
	e := start(t, config{})
	ctx := metadata.AppendToOutgoingContext(context.Background(),
		"authorization", "Bearer "+bearer, "cookie", "session="+cookie, "x-api-key", apiKey,
		"x-request-id", "r1", "x-multi", "a", "x-multi", "b", "trace-bin", bin)
	e.check(ctx, "internal")
	evs := e.events(t)
	require.Len(t, evs, 1)
	g := evs[0].Contexts["grpc"]
	assert.Equal(t, checkMethod, g["method"])
	assert.NotContains(t, g, "peer", "the peer address is PII")
	md, ok := g["metadata"].(map[string]any)
	require.True(t, ok, "metadata is an object: %#v", g["metadata"])
	assert.Equal(t, "r1", md["x-request-id"])
	assert.Equal(t, "a, b", md["x-multi"])
	assert.Equal(t, raven.Filtered, md["x-api-key"], "scrubbed by name")
	assert.Contains(t, md["user-agent"], "grpc-go/")
	for _, k := range []string{"authorization", "cookie", "trace-bin"} {
		assert.NotContains(t, md, k)
	}
	for _, raw := range e.srv.RawEvents() {
		for _, s := range []string{bearer, cookie, apiKey, bin} {
			assert.NotContains(t, string(raw), s)
		}
	}
}

func TestGRPCContextPeerWithSendDefaultPII(t *testing.T) {
	e := start(t, config{server: []ravengrpc.Option{ravengrpc.WithSendDefaultPII()}})
	e.check(context.Background(), "internal")
	evs := e.events(t)
	require.Len(t, evs, 1)
	assert.Equal(t, "127.0.0.1", evs[0].Contexts["grpc"]["peer"])
}

func TestMetadataKeysAreBounded(t *testing.T) {
	e := start(t, config{})
	var kv []string
	for i := range ravengrpc.MaxMetadataKeys + 10 {
		kv = append(kv, fmt.Sprintf("x-k%03d", i), "v")
	}
	e.check(metadata.AppendToOutgoingContext(context.Background(), kv...), "internal")
	evs := e.events(t)
	require.Len(t, evs, 1)
	md := evs[0].Contexts["grpc"]["metadata"].(map[string]any)
	assert.Len(t, md, ravengrpc.MaxMetadataKeys)
	assert.Contains(t, md, ":authority", "kept in key order")
	assert.Contains(t, md, "x-k000")
}

func TestIncomingTraceIsContinued(t *testing.T) {
	e := start(t, config{noClient: true})
	trace, parent := strings.Repeat("a", 32), strings.Repeat("b", 16)
	e.check(metadata.AppendToOutgoingContext(context.Background(), "sentry-trace", trace+"-"+parent+"-1"), "internal")
	e.check(metadata.AppendToOutgoingContext(context.Background(),
		"traceparent", "00-"+strings.Repeat("c", 32)+"-"+strings.Repeat("d", 16)+"-01"), "plain")
	e.check(metadata.AppendToOutgoingContext(context.Background(), "traceparent", "garbage"), "panic")
	evs := e.events(t)
	require.Len(t, evs, 3)
	got := map[string]map[string]any{}
	for _, ev := range evs {
		got[inttest.LastException(t, ev).Value] = ev.Contexts["trace"]
	}
	internal, plain := got["rpc error: code = Internal desc = db down"], got["check: plain failure"]
	assert.Equal(t, trace, internal["trace_id"])
	assert.Equal(t, parent, internal["parent_span_id"])
	assert.Equal(t, true, internal["sampled"])
	assert.Len(t, internal["span_id"], 16)
	assert.NotEqual(t, parent, internal["span_id"])
	assert.Equal(t, strings.Repeat("c", 32), plain["trace_id"])
	assert.Equal(t, strings.Repeat("d", 16), plain["parent_span_id"])
	assert.Contains(t, got, "boom in panic")
	assert.Nil(t, got["boom in panic"], "a malformed traceparent is ignored")
}

func TestConcurrentCallsAreIsolated(t *testing.T) {
	const n = 64
	e := start(t, config{})
	scopes := make([]*raven.Scope, n)
	ctxs := make([]context.Context, n)
	for i := range n {
		ctxs[i] = e.c.WithScope(context.Background())
		scopes[i] = raven.ScopeFromContext(ctxs[i])
	}
	inttest.Concurrently(n, func(i int) {
		ctx := ctxs[i]
		if i%2 == 0 {
			assert.Equal(t, codes.OK, e.check(ctx, fmt.Sprintf("tag:%d", i)))
		} else {
			assert.Equal(t, codes.OK, e.watch(ctx, fmt.Sprintf("tag:%d", i)))
		}
	})
	inttest.CheckIsolated(t, e.c, e.events(t), n, "call", func(ev *raven.Event, _ string) {
		if ev.Transaction != checkMethod {
			assert.Equal(t, watchMethod, ev.Transaction)
		}
	})
	for i, s := range scopes {
		crumbs := s.Breadcrumbs()
		require.Len(t, crumbs, 1, "each caller's scope has its own call's breadcrumb")
		assert.Equal(t, "grpc", crumbs[0].Category)
		assert.Empty(t, s.Tags(), "the server's tags never reach the caller (%d)", i)
	}
	assert.Empty(t, e.c.Scope().Tags())
}

func TestStreamServer(t *testing.T) {
	e := start(t, config{})
	ctx := context.Background()
	assert.Equal(t, codes.Internal, e.watch(ctx, "panic"))
	assert.Equal(t, codes.Internal, e.watch(ctx, "internal"))
	assert.Equal(t, codes.NotFound, e.watch(ctx, "notfound"))
	assert.Equal(t, codes.OK, e.watch(ctx, "tag:s1"))
	evs := e.events(t)
	require.Len(t, evs, 3)
	var kinds []string
	for _, ev := range evs {
		assert.Equal(t, watchMethod, ev.Transaction)
		assert.Equal(t, watchMethod, ev.Contexts["grpc"]["method"])
		exc := inttest.LastException(t, ev)
		switch exc.Value {
		case "boom in panic":
			assert.False(t, *exc.Mechanism.Handled)
			assert.Equal(t, "Internal", ev.Tags["grpc.code"])
			kinds = append(kinds, "panic")
		case "rpc error: code = Internal desc = db down":
			assert.Equal(t, "Internal", ev.Tags["grpc.code"])
			kinds = append(kinds, "returned")
		case "failure s1":
			assert.Equal(t, "s1", ev.Tags["call"], "the handler's stream context carries the call's scope")
			kinds = append(kinds, "captured")
		}
	}
	assert.ElementsMatch(t, []string{"panic", "returned", "captured"}, kinds)
}

func TestRepanicFlushesThenPanics(t *testing.T) {
	var mu sync.Mutex
	var outerSaw []any
	var delivered []int
	var e *env
	recoverer := func(v any) {
		mu.Lock()
		defer mu.Unlock()
		outerSaw = append(outerSaw, v)
		delivered = append(delivered, len(e.srv.Events()))
	}
	e = start(t, config{
		server: []ravengrpc.Option{ravengrpc.WithRepanic()},
		outer: func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (resp any, err error) {
			defer func() {
				if v := recover(); v != nil {
					recoverer(v)
					err = status.Error(codes.Aborted, "recovered outside")
				}
			}()
			return h(ctx, req)
		},
		outerStream: func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) (err error) {
			defer func() {
				if v := recover(); v != nil {
					recoverer(v)
					err = status.Error(codes.Aborted, "recovered outside")
				}
			}()
			return h(srv, ss)
		},
	})
	assert.Equal(t, codes.Aborted, e.check(context.Background(), "panic"))
	assert.Equal(t, codes.Aborted, e.watch(context.Background(), "panic"))
	mu.Lock()
	assert.Equal(t, []any{"boom in panic", "boom in panic"}, outerSaw)
	assert.Equal(t, []int{1, 2}, delivered, "each event was delivered before the panic went on")
	mu.Unlock()
	require.Len(t, e.events(t), 2)
}
