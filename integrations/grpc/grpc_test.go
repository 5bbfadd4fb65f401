package ravengrpc_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ravenkit/raven"
	ravengrpc "github.com/ravenkit/raven/integrations/grpc"
	"github.com/ravenkit/raven/internal/schematest"
	"github.com/ravenkit/raven/raventest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	hv1 "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	checkMethod = "/grpc.health.v1.Health/Check"
	watchMethod = "/grpc.health.v1.Health/Watch"
)

// healthSvc is the health service whose behaviour the request's service
// name picks: "panic", "internal", "notfound", "invalid", "canceled",
// "plain", "tag:ID" (sets scope data and captures an error), "relay" (calls
// "internal" through the client interceptors), anything else succeeds.
type healthSvc struct {
	hv1.UnimplementedHealthServer
	next hv1.HealthClient // for "relay"
}

var errPlain = errors.New("plain failure")

// ownTrace is the trace "relay-own" sets on its outgoing call itself.
var ownTrace = strings.Repeat("1", 32) + "-" + strings.Repeat("2", 16) + "-0"

func (h *healthSvc) behave(ctx context.Context, name string) error {
	switch {
	case name == "panic":
		panic("boom in " + name)
	case name == "internal":
		return status.Error(codes.Internal, "db down")
	case name == "notfound":
		return status.Error(codes.NotFound, "no such service")
	case name == "invalid":
		return status.Error(codes.InvalidArgument, "bad name")
	case name == "canceled":
		return context.Canceled
	case name == "plain":
		return fmt.Errorf("check: %w", errPlain)
	case strings.HasPrefix(name, "tag:"):
		id := strings.TrimPrefix(name, "tag:")
		scope := raven.ScopeFromContext(ctx)
		scope.SetTag("call", id)
		scope.SetUser(&raven.User{ID: id})
		scope.AddBreadcrumb(raven.Breadcrumb{Category: "test", Message: "crumb " + id})
		time.Sleep(time.Millisecond)
		scope.Client().CaptureExceptionContext(ctx, fmt.Errorf("failure %s", id))
	case name == "relay":
		raven.ScopeFromContext(ctx).Client().CaptureMessageContext(ctx, "relaying")
		_, err := h.next.Check(ctx, &hv1.HealthCheckRequest{Service: "internal"})
		return err
	case name == "relay-own":
		ctx = metadata.AppendToOutgoingContext(ctx, "sentry-trace", ownTrace)
		_, err := h.next.Check(ctx, &hv1.HealthCheckRequest{Service: "internal"})
		return err
	}
	return nil
}

func (h *healthSvc) Check(ctx context.Context, req *hv1.HealthCheckRequest) (*hv1.HealthCheckResponse, error) {
	if err := h.behave(ctx, req.Service); err != nil {
		return nil, err
	}
	return &hv1.HealthCheckResponse{Status: hv1.HealthCheckResponse_SERVING}, nil
}

func (h *healthSvc) Watch(req *hv1.HealthCheckRequest, stream hv1.Health_WatchServer) error {
	if err := h.behave(stream.Context(), req.Service); err != nil {
		return err
	}
	return stream.Send(&hv1.HealthCheckResponse{Status: hv1.HealthCheckResponse_SERVING})
}

type env struct {
	srv    *raventest.Server
	c      *raven.Client
	health hv1.HealthClient
}

type config struct {
	server      []ravengrpc.Option
	client      []ravengrpc.Option
	noClient    bool // no client interceptors
	outer       grpc.UnaryServerInterceptor
	outerStream grpc.StreamServerInterceptor
	ravenOpts   []raven.Option
	defaultOnly bool // interceptors without WithClient
}

// start serves the health service with raven's server interceptors on a
// 127.0.0.1 listener and dials it with raven's client interceptors.
func start(t *testing.T, cfg config) *env {
	t.Helper()
	srv := raventest.NewServer(t)
	c, err := raven.New(append([]raven.Option{raven.WithDSN(srv.DSN())}, cfg.ravenOpts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	withClient := []ravengrpc.Option{ravengrpc.WithClient(c)}
	if cfg.defaultOnly {
		withClient = nil
	}

	var unary []grpc.UnaryServerInterceptor
	var stream []grpc.StreamServerInterceptor
	if cfg.outer != nil {
		unary = append(unary, cfg.outer)
	}
	if cfg.outerStream != nil {
		stream = append(stream, cfg.outerStream)
	}
	unary = append(unary, ravengrpc.UnaryServerInterceptor(append(withClient, cfg.server...)...))
	stream = append(stream, ravengrpc.StreamServerInterceptor(append(withClient, cfg.server...)...))
	gs := grpc.NewServer(grpc.ChainUnaryInterceptor(unary...), grpc.ChainStreamInterceptor(stream...))
	svc := &healthSvc{}
	hv1.RegisterHealthServer(gs, svc)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = gs.Serve(lis)
	}()
	t.Cleanup(func() {
		gs.Stop()
		<-served
	})

	dial := []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	if !cfg.noClient {
		dial = append(dial,
			grpc.WithChainUnaryInterceptor(ravengrpc.UnaryClientInterceptor(append(withClient, cfg.client...)...)),
			grpc.WithChainStreamInterceptor(ravengrpc.StreamClientInterceptor(append(withClient, cfg.client...)...)))
	}
	conn, err := grpc.NewClient("passthrough:///"+lis.Addr().String(), dial...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	svc.next = hv1.NewHealthClient(conn)
	return &env{srv: srv, c: c, health: svc.next}
}

// check calls Check with service name and returns the call's code.
func (e *env) check(ctx context.Context, name string) codes.Code {
	_, err := e.health.Check(ctx, &hv1.HealthCheckRequest{Service: name})
	return status.Code(err)
}

// watch calls Watch, reads the stream to its end and returns its code.
func (e *env) watch(ctx context.Context, name string) codes.Code {
	st, err := e.health.Watch(ctx, &hv1.HealthCheckRequest{Service: name})
	if err != nil {
		return status.Code(err)
	}
	for {
		if _, err := st.Recv(); err != nil {
			if errors.Is(err, io.EOF) {
				return codes.OK
			}
			return status.Code(err)
		}
	}
}

// events closes the client (delivering everything) and returns the
// events, each validated against the event schema.
func (e *env) events(t *testing.T) []*raven.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, e.c.Close(ctx))
	for _, raw := range e.srv.RawEvents() {
		schematest.Check(t, raw)
	}
	return e.srv.Events()
}

func lastException(t *testing.T, ev *raven.Event) raven.Exception {
	t.Helper()
	require.NotNil(t, ev.Exception)
	require.NotEmpty(t, ev.Exception.Values)
	return ev.Exception.Values[len(ev.Exception.Values)-1]
}

func TestUnaryPanicIsReportedAndAnsweredInternal(t *testing.T) {
	e := start(t, config{})
	_, err := e.health.Check(context.Background(), &hv1.HealthCheckRequest{Service: "panic"})
	st := status.Convert(err)
	assert.Equal(t, codes.Internal, st.Code())
	assert.Equal(t, "internal error", st.Message(), "the panic value never reaches the caller")
	evs := e.events(t)
	require.Len(t, evs, 1)
	ev := evs[0]
	exc := lastException(t, ev)
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
	assert.Equal(t, "rpc error: code = Internal desc = db down", lastException(t, byCode["Internal"]).Value)
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
	assert.Equal(t, "boom in panic", lastException(t, evs[0]).Value)
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
		got[lastException(t, ev).Value] = ev.Contexts["trace"]
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
	var wg sync.WaitGroup
	for i := range n {
		ctx := e.c.WithScope(context.Background())
		scopes[i] = raven.ScopeFromContext(ctx)
		wg.Go(func() {
			if i%2 == 0 {
				assert.Equal(t, codes.OK, e.check(ctx, fmt.Sprintf("tag:%d", i)))
			} else {
				assert.Equal(t, codes.OK, e.watch(ctx, fmt.Sprintf("tag:%d", i)))
			}
		})
	}
	wg.Wait()
	evs := e.events(t)
	require.Len(t, evs, n)
	seen := map[string]bool{}
	for _, ev := range evs {
		id := ev.User.ID
		assert.Equal(t, id, ev.Tags["call"])
		assert.Equal(t, "failure "+id, lastException(t, ev).Value)
		require.NotNil(t, ev.Breadcrumbs)
		require.Len(t, ev.Breadcrumbs.Values, 1, "only this call's breadcrumbs")
		assert.Equal(t, "crumb "+id, ev.Breadcrumbs.Values[0].Message)
		if ev.Transaction != checkMethod {
			assert.Equal(t, watchMethod, ev.Transaction)
		}
		seen[id] = true
	}
	assert.Len(t, seen, n)
	for i, s := range scopes {
		crumbs := s.Breadcrumbs()
		require.Len(t, crumbs, 1, "each caller's scope has its own call's breadcrumb")
		assert.Equal(t, "grpc", crumbs[0].Category)
		assert.Empty(t, s.Tags(), "the server's tags never reach the caller (%d)", i)
	}
	assert.Empty(t, e.c.Scope().Breadcrumbs(), "nothing leaked into the root scope")
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
		exc := lastException(t, ev)
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
		assert.Equal(t, "rpc error: code = NotFound desc = no such service", lastException(t, ev).Value)
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

func TestDefaultClient(t *testing.T) {
	srv := raventest.NewServer(t)
	require.NoError(t, raven.Init(raven.WithDSN(srv.DSN())))
	c := raven.CurrentClient()
	e := start(t, config{defaultOnly: true})
	e.check(e.c.WithScope(context.Background()), "internal")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, c.Close(ctx))
	evs := srv.Events()
	require.Len(t, evs, 1, "reported to raven.CurrentClient()")
	assert.Equal(t, "Internal", evs[0].Tags["grpc.code"])
	assert.Empty(t, e.events(t), "nothing went to the client the test made")
}
