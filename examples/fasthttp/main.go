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
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/ravenkit/raven"
	ravenfasthttp "github.com/ravenkit/raven/integrations/fasthttp"
	"github.com/ravenkit/raven/raventest"
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

func main() {
	dsn := os.Getenv(raven.EnvDSN)
	var receiver *raventest.Server
	if dsn == "" {
		var err error
		if receiver, err = raventest.Start(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer receiver.Close()
		dsn = receiver.DSN()
	}
	if err := raven.Init(raven.WithDSN(dsn)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}

	mw := ravenfasthttp.New(ravenfasthttp.WithTransactionName(route))
	server := &fasthttp.Server{Handler: mw(order)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	go func() { _ = server.Serve(ln) }()

	client := &http.Client{Transport: &http.Transport{}}
	for _, sku := range []string{"book", "gone", "crash"} {
		req, _ := http.NewRequest(http.MethodPost, "http://"+ln.Addr().String()+"/orders/"+sku, nil)
		req.Header.Set("X-User", "user-"+sku)
		resp, err := client.Do(req)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			continue
		}
		resp.Body.Close()
		fmt.Printf("POST /orders/%s -> %d\n", sku, resp.StatusCode)
	}
	client.CloseIdleConnections()
	_ = server.Shutdown()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = raven.Close(ctx)
	if receiver != nil {
		for _, ev := range receiver.Events() {
			exc := ev.Exception.Values[len(ev.Exception.Values)-1]
			fmt.Printf("sent: %s | %s: %s | user %s, sku %s\n", ev.Transaction, exc.Type, exc.Value, ev.User.ID, ev.Tags["sku"])
		}
	}
}

// priceCache returns the prices cached for this instance, or nil: the
// handler above forgets that.
func priceCache() map[string]int { return nil }
