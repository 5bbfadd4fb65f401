// Command grpc shows the gRPC interceptors: every call gets its own scope,
// panics are reported and answered Internal, returned errors are reported
// when their code says the server failed (Internal, yes; NotFound, no), and
// the client side records a breadcrumb per call and passes the trace on.
//
// It serves a few calls to itself against an in-process receiver (or
// SENTRY_DSN when set), prints what was sent and exits.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/ravenkit/raven"
	ravengrpc "github.com/ravenkit/raven/integrations/grpc"
	"github.com/ravenkit/raven/internal/demo"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	hv1 "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// inventory stands for a real service; the health API saves generating
// code. The service name picks what the call does.
type inventory struct {
	hv1.UnimplementedHealthServer
	warehouse hv1.HealthClient // another service this one calls
}

func (s *inventory) Check(ctx context.Context, req *hv1.HealthCheckRequest) (*hv1.HealthCheckResponse, error) {
	scope := raven.ScopeFromContext(ctx) // this call's own scope
	scope.SetTag("sku", req.Service)
	raven.AddBreadcrumb(ctx, raven.Breadcrumb{Category: "stock", Message: "looked up " + req.Service})
	switch req.Service {
	case "book":
		// a call to another service: a breadcrumb on this call's scope,
		// and the trace passed on in the metadata
		if _, err := s.warehouse.Check(ctx, &hv1.HealthCheckRequest{Service: "warehouse"}); err != nil {
			return nil, err
		}
	case "gone":
		return nil, status.Error(codes.NotFound, "no such sku") // the caller's problem: not reported
	case "locked":
		return nil, status.Error(codes.Unavailable, "stock table locked") // reported
	case "crash":
		prices := priceCache(req.Service)
		prices["crash"]++ // a real bug: the cache is nil; reported, answered Internal
	}
	return &hv1.HealthCheckResponse{Status: hv1.HealthCheckResponse_SERVING}, nil
}

func (s *inventory) Watch(req *hv1.HealthCheckRequest, stream hv1.Health_WatchServer) error {
	for range 3 {
		if err := stream.Send(&hv1.HealthCheckResponse{Status: hv1.HealthCheckResponse_SERVING}); err != nil {
			return err
		}
	}
	if req.Service == "flaky" {
		raven.CaptureExceptionContext(stream.Context(), fmt.Errorf("watch %s: feed stalled", req.Service))
	}
	return nil
}

func main() { demo.Main(run) }

func run(ctx context.Context, out io.Writer, target *demo.Target) error {
	if err := raven.Init(raven.WithDSN(target.DSN), raven.WithRelease("example-grpc@1.0.0")); err != nil {
		return err
	}

	srv := grpc.NewServer(
		grpc.ChainUnaryInterceptor(ravengrpc.UnaryServerInterceptor()),
		grpc.ChainStreamInterceptor(ravengrpc.StreamServerInterceptor()),
	)
	svc := &inventory{}
	hv1.RegisterHealthServer(srv, svc)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()
	conn, err := grpc.NewClient("passthrough:///"+lis.Addr().String(),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithChainUnaryInterceptor(ravengrpc.UnaryClientInterceptor()),
		grpc.WithChainStreamInterceptor(ravengrpc.StreamClientInterceptor()))
	if err != nil {
		srv.Stop()
		return err
	}
	health := hv1.NewHealthClient(conn)
	svc.warehouse = health

	// the calls, as a caller in a trace would make them
	trace := "4bf92f3577b34da6a3ce929d0e0e4736"
	callCtx := metadata.AppendToOutgoingContext(raven.WithScope(ctx), "sentry-trace", trace+"-00f067aa0ba902b7-1",
		"x-request-id", "req-42", "authorization", "Bearer never-sent")
	for _, sku := range []string{"book", "gone", "locked", "crash"} {
		_, err := health.Check(callCtx, &hv1.HealthCheckRequest{Service: sku})
		fmt.Fprintf(out, "Check(%s) -> %s\n", sku, status.Code(err))
	}
	for _, feed := range []string{"steady", "flaky"} {
		stream, err := health.Watch(callCtx, &hv1.HealthCheckRequest{Service: feed})
		n := 0
		for err == nil {
			if _, err = stream.Recv(); err == nil {
				n++
			}
		}
		if errors.Is(err, io.EOF) {
			err = nil // the stream ended with OK
		}
		fmt.Fprintf(out, "Watch(%s) -> %d updates, %s\n", feed, n, status.Code(err))
	}
	// the caller's scope holds a breadcrumb per call it made
	raven.CaptureMessageContext(callCtx, "checkout finished")

	_ = conn.Close()
	srv.Stop()
	<-served
	err = target.Finish(ctx, out, raven.Close, func(ev *raven.Event) string {
		var crumbs []string
		if ev.Breadcrumbs != nil {
			for _, b := range ev.Breadcrumbs.Values {
				c := b.Category + ":" + b.Message
				if code, ok := b.Data["code"]; ok {
					c += fmt.Sprintf(" (%v)", code)
				}
				crumbs = append(crumbs, c)
			}
		}
		line := fmt.Sprintf("- %s %q: %s\n    breadcrumbs: %s", ev.Level, ev.Transaction, demo.Value(ev), strings.Join(crumbs, ", "))
		if md, ok := ev.Contexts["grpc"]["metadata"].(map[string]any); ok {
			line += fmt.Sprintf("\n    grpc.code=%s sku=%s in caller's trace: %t, x-request-id: %v, authorization sent: %t",
				ev.Tags["grpc.code"], ev.Tags["sku"], ev.Contexts["trace"]["trace_id"] == trace,
				md["x-request-id"], md["authorization"] != nil)
		}
		return line
	})
	st := raven.CurrentClient().Stats()
	fmt.Fprintf(out, "%d events captured, %d delivered\n", st.Captured, st.Delivered)
	return err
}

// priceCache returns the prices cached for a service, or nil: the handler
// above forgets that.
func priceCache(string) map[string]int { return nil }
