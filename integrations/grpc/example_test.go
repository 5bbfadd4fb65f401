package ravengrpc_test

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/ravenkit/raven"
	ravengrpc "github.com/ravenkit/raven/integrations/grpc"
	"github.com/ravenkit/raven/raventest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	hv1 "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

// inventory is a health service standing for a real one: "db" fails
// inside the server, "missing" is the caller's mistake, "crash" panics.
type inventory struct{ hv1.UnimplementedHealthServer }

func (inventory) Check(ctx context.Context, req *hv1.HealthCheckRequest) (*hv1.HealthCheckResponse, error) {
	raven.ScopeFromContext(ctx).SetTag("service", req.Service) // this call's own scope
	switch req.Service {
	case "db":
		return nil, status.Error(codes.Internal, "db down")
	case "missing":
		return nil, status.Error(codes.NotFound, "no such service")
	}
	return &hv1.HealthCheckResponse{Status: hv1.HealthCheckResponse_SERVING}, nil
}

func (inventory) Watch(req *hv1.HealthCheckRequest, stream hv1.Health_WatchServer) error {
	if req.Service == "crash" {
		stock := stockCache(req.Service)
		stock[req.Service]++ // a real bug: the cache is nil
	}
	if req.Service == "missing" {
		return status.Error(codes.NotFound, "no such service")
	}
	return stream.Send(&hv1.HealthCheckResponse{Status: hv1.HealthCheckResponse_SERVING})
}

// serveExample serves inventory on 127.0.0.1 with opts and returns a
// connection to it made with dial, and a function that stops both.
func serveExample(opts []grpc.ServerOption, dial ...grpc.DialOption) (*grpc.ClientConn, func()) {
	gs := grpc.NewServer(opts...)
	hv1.RegisterHealthServer(gs, inventory{})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = gs.Serve(lis)
	}()
	dial = append(dial, grpc.WithTransportCredentials(insecure.NewCredentials()))
	conn, err := grpc.NewClient("passthrough:///"+lis.Addr().String(), dial...)
	if err != nil {
		panic(err)
	}
	return conn, func() {
		_ = conn.Close()
		gs.Stop()
		<-served
	}
}

// newExampleClient returns a client reporting to an in-process receiver.
func newExampleClient() (*raven.Client, *raventest.Server) {
	srv, err := raventest.Start()
	if err != nil {
		panic(err)
	}
	c, err := raven.New(raven.WithDSN(srv.DSN()))
	if err != nil {
		panic(err)
	}
	return c, srv
}

func closeClient(c *raven.Client) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = c.Close(ctx)
}

func ExampleUnaryServerInterceptor() {
	c, receiver := newExampleClient() // in a program: raven.Init, and no WithClient
	defer receiver.Close()
	conn, stop := serveExample([]grpc.ServerOption{
		grpc.ChainUnaryInterceptor(ravengrpc.UnaryServerInterceptor(ravengrpc.WithClient(c))),
	})
	health := hv1.NewHealthClient(conn)
	for _, name := range []string{"shop", "db", "missing"} {
		_, err := health.Check(context.Background(), &hv1.HealthCheckRequest{Service: name})
		fmt.Printf("%s: %v\n", name, status.Code(err))
	}
	stop()
	closeClient(c)

	for _, ev := range receiver.Events() { // only Internal is the server's fault
		exc := ev.Exception.Values[0]
		fmt.Println(ev.Transaction, ev.Tags["grpc.code"], ev.Tags["service"], exc.Value)
	}
	// Output:
	// shop: OK
	// db: Internal
	// missing: NotFound
	// /grpc.health.v1.Health/Check Internal db rpc error: code = Internal desc = db down
}

func ExampleStreamServerInterceptor() {
	c, receiver := newExampleClient()
	defer receiver.Close()
	conn, stop := serveExample([]grpc.ServerOption{
		grpc.ChainStreamInterceptor(ravengrpc.StreamServerInterceptor(ravengrpc.WithClient(c))),
	})
	stream, err := hv1.NewHealthClient(conn).Watch(context.Background(), &hv1.HealthCheckRequest{Service: "crash"})
	if err == nil {
		_, err = stream.Recv()
	}
	fmt.Println("caller got:", status.Convert(err).Code(), status.Convert(err).Message())
	stop()
	closeClient(c)

	for _, ev := range receiver.Events() {
		exc := ev.Exception.Values[0]
		fmt.Println(ev.Level, ev.Transaction, exc.Mechanism.Type, *exc.Mechanism.Handled)
		fmt.Println(exc.Value)
	}
	// Output:
	// caller got: Internal internal error
	// fatal /grpc.health.v1.Health/Watch panic false
	// assignment to entry in nil map
}

func ExampleUnaryClientInterceptor() {
	c, receiver := newExampleClient()
	defer receiver.Close()
	conn, stop := serveExample(nil,
		grpc.WithChainUnaryInterceptor(ravengrpc.UnaryClientInterceptor(ravengrpc.WithClient(c))))
	ctx := c.WithScope(context.Background()) // a request's or a job's scope
	health := hv1.NewHealthClient(conn)
	_, _ = health.Check(ctx, &hv1.HealthCheckRequest{Service: "shop"})
	_, _ = health.Check(ctx, &hv1.HealthCheckRequest{Service: "missing"}) // reported by nobody
	c.CaptureMessageContext(ctx, "checkout failed")
	stop()
	closeClient(c)

	for _, ev := range receiver.Events() {
		fmt.Println(ev.Message.Formatted)
		for _, b := range ev.Breadcrumbs.Values {
			fmt.Println(b.Category, b.Level, b.Message, b.Data["code"])
		}
	}
	// Output:
	// checkout failed
	// grpc info /grpc.health.v1.Health/Check OK
	// grpc warning /grpc.health.v1.Health/Check NotFound
}

func ExampleStreamClientInterceptor() {
	c, receiver := newExampleClient()
	defer receiver.Close()
	conn, stop := serveExample(nil,
		grpc.WithChainStreamInterceptor(ravengrpc.StreamClientInterceptor(
			ravengrpc.WithClient(c), ravengrpc.WithReportClientErrors(codes.NotFound))))
	ctx := c.WithScope(context.Background())
	health := hv1.NewHealthClient(conn)
	for _, name := range []string{"shop", "missing"} {
		stream, err := health.Watch(ctx, &hv1.HealthCheckRequest{Service: name})
		for err == nil {
			_, err = stream.Recv() // the breadcrumb is recorded when the stream ends
		}
	}
	stop()
	closeClient(c)

	// reported by the client, as WithReportClientErrors asked
	for _, ev := range receiver.Events() {
		fmt.Println(ev.Tags["grpc.code"], ev.Exception.Values[0].Value)
		for _, b := range ev.Breadcrumbs.Values {
			fmt.Println(b.Category, b.Message, b.Data["code"])
		}
	}
	// Output:
	// NotFound rpc error: code = NotFound desc = no such service
	// grpc /grpc.health.v1.Health/Watch OK
	// grpc /grpc.health.v1.Health/Watch NotFound
}

// stockCache returns the stock cached for a service, or nil: Watch above
// forgets that.
func stockCache(string) map[string]int { return nil }
