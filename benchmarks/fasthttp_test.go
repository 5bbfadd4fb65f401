package benchmarks

import (
	"net"
	"testing"

	"github.com/ravenkit/raven"
	ravenfasthttp "github.com/ravenkit/raven/integrations/fasthttp"
	"github.com/valyala/fasthttp"
)

// newRequestCtx is newRequest as fasthttp receives it. Benchmarks call the
// server's handler with it in process: no listener, no parsing, only the
// work of the handler and the middleware in front of it.
func newRequestCtx() *fasthttp.RequestCtx {
	var req fasthttp.Request
	req.SetRequestURI("http://shop.example.com/orders/42?page=2")
	req.Header.Set("User-Agent", "bench/1.0")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-Request-Id", "5f0c1b")
	ctx := new(fasthttp.RequestCtx)
	ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 50000}, nil)
	return ctx
}

// serveFast calls h with one request b.N times, clearing what a handler
// leaves on the RequestCtx as fasthttp does between requests.
func serveFast(b *testing.B, h fasthttp.RequestHandler, wantStatus int) {
	ctx := newRequestCtx()
	callerLoop(b, func() {
		h(ctx)
		ctx.Response.Reset()
		ctx.ResetUserValues()
	}, nil, nil)
	h(ctx)
	if got := ctx.Response.StatusCode(); got != wantStatus {
		b.Fatalf("status %d, want %d", got, wantStatus)
	}
}

// BenchmarkFastHTTP is one request through raven's fasthttp middleware
// into a handler that succeeds; baseline is the bare handler.
//
// sentry-go's fasthttp integration is not compared: the module proxy
// serves github.com/getsentry/sentry-go/fasthttp only at v0.43.0, whose
// checksum the checksum database does not serve, so it cannot be verified.
// sentry-go-manual is sentry-go's documented manual setup instead
// (sentryFastHTTP, see sentrymanual_test.go); BenchmarkFiber compares
// sentry-go's Fiber integration, which does more per request on the same
// fasthttp request.
func BenchmarkFastHTTP(b *testing.B) {
	ok := func(ctx *fasthttp.RequestCtx) { ctx.SetStatusCode(fasthttp.StatusOK) }
	b.Run("baseline", func(b *testing.B) { serveFast(b, ok, fasthttp.StatusOK) })
	b.Run("raven", func(b *testing.B) {
		c, _ := newRaven(b, raven.WithDSN(memDSN), raven.WithTransport(&ravenMem{}))
		serveFast(b, ravenfasthttp.New(ravenfasthttp.WithClient(c))(ok), fasthttp.StatusOK)
	})
	b.Run("sentry-go-manual", func(b *testing.B) {
		initSentry(b)
		serveFast(b, sentryFastHTTP(ok), fasthttp.StatusOK)
	})
}
