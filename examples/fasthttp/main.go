// Command fasthttp shows the fasthttp middleware: every request gets its
// own scope (the *fasthttp.RequestCtx carries it as a context), panics are
// reported and answered 500, and transactions are named the way the
// application chooses (fasthttp has no route templates).
//
// It serves a few requests to itself against an in-process receiver (or
// SENTRY_DSN when set), prints what it sent, and exits.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"

	"github.com/ravenkit/raven"
	ravenfasthttp "github.com/ravenkit/raven/integrations/fasthttp"
	"github.com/ravenkit/raven/internal/demo"
	"github.com/valyala/fasthttp"
)

var errOutOfStock = errors.New("out of stock")

// route is the application's own routing: it also names the transaction.
func route(ctx *fasthttp.RequestCtx) string {
	if strings.HasPrefix(string(ctx.Path()), "/orders/") {
		return "/orders/:sku"
	}
	return ""
}

func order(ctx *fasthttp.RequestCtx) {
	sku := strings.TrimPrefix(string(ctx.Path()), "/orders/")
	scope := ravenfasthttp.Scope(ctx) // this request's own scope
	scope.SetUser(&raven.User{ID: string(ctx.Request.Header.Peek("X-User"))})
	scope.SetTag("sku", sku)
	raven.AddBreadcrumb(ctx, raven.Breadcrumb{Category: "stock", Message: "checked warehouse"})
	switch sku {
	case "gone":
		raven.CaptureExceptionContext(ctx, fmt.Errorf("order %s: %w", sku, errOutOfStock))
		ctx.Error("out of stock", fasthttp.StatusConflict)
		return
	case "crash":
		prices := priceCache()
		prices["crash"]++ // a real bug: the cache is nil
	}
	ctx.SetBodyString("ordered\n")
}

func main() { demo.Main(run) }

func run(ctx context.Context, out io.Writer, target *demo.Target) error {
	if err := raven.Init(raven.WithDSN(target.DSN)); err != nil {
		return err
	}

	mw := ravenfasthttp.New(ravenfasthttp.WithTransactionName(route))
	server := &fasthttp.Server{Handler: mw(order)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go func() { _ = server.Serve(ln) }()

	client := &http.Client{Transport: &http.Transport{}}
	err = demo.Orders(ctx, out, client, "http://"+ln.Addr().String(), "/orders/", "book", "gone", "crash")
	_ = server.Shutdown()
	if err != nil {
		return err
	}

	return target.Finish(ctx, out, raven.Close, demo.OrderEvent)
}

// priceCache returns the prices cached for this instance, or nil: the
// handler above forgets that.
func priceCache() map[string]int { return nil }
