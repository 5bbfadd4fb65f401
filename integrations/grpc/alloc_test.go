package ravengrpc_test

import (
	"context"
	"net"
	"testing"

	"github.com/ravenkit/raven"
	ravengrpc "github.com/ravenkit/raven/integrations/grpc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	hv1 "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
)

// handlerContext is the context grpc-go hands a handler: incoming
// metadata and the peer.
func handlerContext() context.Context {
	md := metadata.Pairs(":authority", "127.0.0.1:50051", "content-type", "application/grpc",
		"user-agent", "grpc-go/1.85.0", "x-request-id", "5f0c1b")
	ctx := metadata.NewIncomingContext(context.Background(), md)
	return peer.NewContext(ctx, &peer.Peer{Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}})
}

// TestAllocsPerCall pins what the interceptors allocate on calls that
// report nothing: the metadata is not copied, only the scope, the call's
// lazy values and the scope's copy of the "grpc" context are made.
func TestAllocsPerCall(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	c, err := raven.New(raven.WithDSN("http://k@127.0.0.1:9/1"))
	require.NoError(t, err)
	defer func() { _ = c.Close(context.Background()) }()
	ctx := handlerContext()
	req := &hv1.HealthCheckRequest{}
	ok := &hv1.HealthCheckResponse{}
	handler := func(context.Context, any) (any, error) { return ok, nil }

	server := ravengrpc.UnaryServerInterceptor(ravengrpc.WithClient(c))
	info := &grpc.UnaryServerInfo{FullMethod: checkMethod}
	allocs := testing.AllocsPerRun(500, func() { _, _ = server(ctx, req, info, handler) })
	assert.LessOrEqual(t, allocs, 6.0, "scope, the call's lazy values, the scope's copy of the \"grpc\" context")

	client := ravengrpc.UnaryClientInterceptor(ravengrpc.WithClient(c))
	cctx := c.WithScope(context.Background())
	invoker := func(context.Context, string, any, any, *grpc.ClientConn, ...grpc.CallOption) error { return nil }
	allocs = testing.AllocsPerRun(500, func() { _ = client(cctx, checkMethod, req, ok, nil, invoker) })
	assert.LessOrEqual(t, allocs, 5.0, "the breadcrumb's data")
}
