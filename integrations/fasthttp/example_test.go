package ravenfasthttp_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/ravenkit/raven"
	ravenfasthttp "github.com/ravenkit/raven/integrations/fasthttp"
	"github.com/ravenkit/raven/raventest"
	"github.com/valyala/fasthttp"
)

func Example() {
	receiver, _ := raventest.Start() // stands for Sentry
	defer receiver.Close()
	client, _ := raven.New(raven.WithDSN(receiver.DSN()))

	handler := func(ctx *fasthttp.RequestCtx) {
		ravenfasthttp.Scope(ctx).SetUser(&raven.User{ID: "42"})
		if string(ctx.Path()) == "/orders/7" {
			// a *fasthttp.RequestCtx carries the request's scope
			raven.CaptureExceptionContext(ctx, errors.New("order 7 is out of stock"))
			ctx.Error("out of stock", fasthttp.StatusConflict)
		}
	}
	mw := ravenfasthttp.New(
		ravenfasthttp.WithClient(client),
		ravenfasthttp.WithTransactionName(func(ctx *fasthttp.RequestCtx) string { return "/orders/:id" }),
	)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	server := &fasthttp.Server{Handler: mw(handler), MaxIdleWorkerDuration: 10 * time.Millisecond}
	go func() { _ = server.Serve(ln) }()
	defer func() { _ = server.Shutdown() }()

	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()
	resp, err := hc.Get("http://" + ln.Addr().String() + "/orders/7")
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println("status", resp.StatusCode)

	_ = client.Close(context.Background())
	for _, ev := range receiver.Events() {
		fmt.Println(ev.Transaction, "|", ev.Exception.Values[0].Value, "| user", ev.User.ID, "|", ev.Request.Method)
	}
	// Output:
	// status 409
	// GET /orders/:id | order 7 is out of stock | user 42 | GET
}

func ExampleWithTransactionName() {
	// fasthttp has no route templates: name transactions from what the
	// application knows. Here every path is fixed (no ids in it).
	_ = ravenfasthttp.New(ravenfasthttp.WithTransactionName(func(ctx *fasthttp.RequestCtx) string {
		return string(ctx.Path())
	}))
}

func ExampleContext() {
	handler := func(ctx *fasthttp.RequestCtx) {
		rctx := ravenfasthttp.Context(ctx) // safe to keep after the handler returns
		go func() {
			raven.CaptureMessageContext(rctx, "background work finished") // the request's scope, no request data
		}()
	}
	_ = ravenfasthttp.New()(handler)
}

func ExampleScope() {
	handler := func(ctx *fasthttp.RequestCtx) {
		scope := ravenfasthttp.Scope(ctx) // this request's own scope
		scope.SetTag("tenant", string(ctx.Request.Header.Peek("X-Tenant")))
		scope.SetTransaction("GET /orders/:id") // a router that knows the template names it
	}
	_ = ravenfasthttp.New()(handler)
}

// Integrations built on fasthttp keep a Source per request and set the
// request's scope on the RequestCtx.
func ExampleSource() {
	type requestState struct{ src ravenfasthttp.Source }
	handler := func(ctx *fasthttp.RequestCtx) {
		st := new(requestState)
		rctx := raven.WithScope(context.Background())
		scope := raven.ScopeFromContext(rctx)
		st.src.Start(ctx, false, 0)
		defer st.src.End() // before fasthttp reuses ctx
		scope.SetRequestSource(&st.src)
		ravenfasthttp.SetScope(ctx, scope)
		// ... serve the request
	}
	_ = handler
}
