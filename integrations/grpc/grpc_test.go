package ravengrpc_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ravenkit/raven"
	ravengrpc "github.com/ravenkit/raven/integrations/grpc"
	"github.com/ravenkit/raven/integrations/internal/inttest"
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
		inttest.Mark(ctx, scope, "call", id)
		scope.Client().CaptureExceptionContext(ctx, inttest.Failure(id))
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
	srv, c := inttest.NewClient(t, cfg.ravenOpts...)
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
func (e *env) events(t *testing.T) []*raven.Event { return inttest.Events(t, e.srv, e.c) }

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
