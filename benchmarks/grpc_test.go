package benchmarks

import (
	"context"
	"net"
	"testing"

	"github.com/ravenkit/raven"
	ravengrpc "github.com/ravenkit/raven/integrations/grpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	hv1 "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
)

// sentry-go has a gRPC integration in its repository
// (github.com/getsentry/sentry-go/grpc), but the module proxy serves no
// version of that module: sentry-go-manual is sentry-go's documented
// manual setup instead (sentryUnaryInterceptor, see sentrymanual_test.go).

// okHealth is a trivial unary handler: it answers a prebuilt response.
type okHealth struct{ hv1.UnimplementedHealthServer }

var serving = &hv1.HealthCheckResponse{Status: hv1.HealthCheckResponse_SERVING}

func (okHealth) Check(context.Context, *hv1.HealthCheckRequest) (*hv1.HealthCheckResponse, error) {
	return serving, nil
}

// grpcCallMetadata is what a typical caller sends besides grpc-go's own.
var grpcCallMetadata = []string{"x-request-id", "5f0c1b", "x-tenant", "shop-7"}

// serveGRPC serves okHealth on a 127.0.0.1 listener with the server
// options and returns a client dialled with dial.
func serveGRPC(b *testing.B, opts []grpc.ServerOption, dial ...grpc.DialOption) hv1.HealthClient {
	b.Helper()
	gs := grpc.NewServer(opts...)
	hv1.RegisterHealthServer(gs, okHealth{})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = gs.Serve(lis)
	}()
	conn, err := grpc.NewClient("passthrough:///"+lis.Addr().String(),
		append(dial, grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = conn.Close()
		gs.Stop()
		<-served
	})
	return hv1.NewHealthClient(conn)
}

// BenchmarkGRPCUnary is one unary call over a loopback TCP connection into
// a handler that succeeds: baseline has no interceptor, raven raven's
// server interceptor, raven-both raven's server and client interceptors.
// The call itself costs tens of microseconds and varies by a few between
// runs; BenchmarkGRPCUnaryInterceptor isolates what the interceptor adds.
func BenchmarkGRPCUnary(b *testing.B) {
	c, _ := newRaven(b, raven.WithDSN(memDSN), raven.WithTransport(&ravenMem{}))
	run := func(b *testing.B, health hv1.HealthClient) {
		// the caller's own scope, as a request or job would have it, takes
		// the client's breadcrumbs
		ctx := metadata.AppendToOutgoingContext(c.WithScope(context.Background()), grpcCallMetadata...)
		req := &hv1.HealthCheckRequest{Service: "shop"}
		b.ReportAllocs()
		cpu := startCPU()
		for b.Loop() {
			if _, err := health.Check(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
		cpu.report(b)
	}
	b.Run("baseline", func(b *testing.B) { run(b, serveGRPC(b, nil)) })
	b.Run("raven", func(b *testing.B) {
		run(b, serveGRPC(b, []grpc.ServerOption{
			grpc.UnaryInterceptor(ravengrpc.UnaryServerInterceptor(ravengrpc.WithClient(c)))}))
	})
	b.Run("raven-both", func(b *testing.B) {
		run(b, serveGRPC(b, []grpc.ServerOption{
			grpc.UnaryInterceptor(ravengrpc.UnaryServerInterceptor(ravengrpc.WithClient(c)))},
			grpc.WithUnaryInterceptor(ravengrpc.UnaryClientInterceptor(ravengrpc.WithClient(c)))))
	})
	b.Run("sentry-go-manual", func(b *testing.B) {
		initSentry(b)
		run(b, serveGRPC(b, []grpc.ServerOption{grpc.UnaryInterceptor(sentryUnaryInterceptor)}))
	})
}

// BenchmarkGRPCUnaryInterceptor calls the server interceptor directly, with
// the context grpc-go hands a handler (incoming metadata and peer), around
// the same trivial handler: what raven adds to a unary call, without the
// transport's noise. baseline calls the handler alone.
func BenchmarkGRPCUnaryInterceptor(b *testing.B) {
	c, _ := newRaven(b, raven.WithDSN(memDSN), raven.WithTransport(&ravenMem{}))
	md := metadata.Pairs(append([]string{":authority", "127.0.0.1:50051", "content-type", "application/grpc",
		"user-agent", "grpc-go/1.85.0"}, grpcCallMetadata...)...)
	ctx := metadata.NewIncomingContext(context.Background(), md)
	ctx = peer.NewContext(ctx, &peer.Peer{Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}})
	info := &grpc.UnaryServerInfo{FullMethod: "/grpc.health.v1.Health/Check"}
	req := &hv1.HealthCheckRequest{Service: "shop"}
	handler := func(ctx context.Context, req any) (any, error) {
		return okHealth{}.Check(ctx, req.(*hv1.HealthCheckRequest))
	}
	b.Run("baseline", func(b *testing.B) {
		b.ReportAllocs()
		cpu := startCPU()
		for b.Loop() {
			if _, err := handler(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
		cpu.report(b)
	})
	intercept := func(b *testing.B, in grpc.UnaryServerInterceptor) {
		b.ReportAllocs()
		cpu := startCPU()
		for b.Loop() {
			if _, err := in(ctx, req, info, handler); err != nil {
				b.Fatal(err)
			}
		}
		cpu.report(b)
	}
	b.Run("raven", func(b *testing.B) { intercept(b, ravengrpc.UnaryServerInterceptor(ravengrpc.WithClient(c))) })
	b.Run("sentry-go-manual", func(b *testing.B) {
		initSentry(b)
		intercept(b, sentryUnaryInterceptor)
	})
}
