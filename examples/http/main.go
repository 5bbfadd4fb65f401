// Command http shows the net/http middleware: every request gets its own
// scope (user, tags, breadcrumbs), panics are reported and answered 500,
// and errors captured in handlers carry the request.
//
// It serves a few requests to itself against an in-process receiver (or
// SENTRY_DSN when set) and exits.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/ravenkit/raven"
	ravenhttp "github.com/ravenkit/raven/integrations/http"
	ravenhttpclient "github.com/ravenkit/raven/integrations/httpclient"
	"github.com/ravenkit/raven/internal/demo"
)

var errOutOfStock = errors.New("out of stock")

func order(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	scope := raven.ScopeFromContext(ctx) // this request's own scope
	scope.SetUser(&raven.User{ID: r.Header.Get("X-User")})
	scope.SetTag("sku", r.PathValue("sku"))
	raven.AddBreadcrumb(ctx, raven.Breadcrumb{Category: "stock", Message: "checked warehouse"})
	if r.PathValue("sku") == "gone" {
		raven.CaptureExceptionContext(ctx, fmt.Errorf("order %s: %w", r.PathValue("sku"), errOutOfStock))
		http.Error(w, "out of stock", http.StatusConflict)
		return
	}
	if r.PathValue("sku") == "crash" {
		prices := priceCache(r.PathValue("sku"))
		prices["crash"]++ // a real bug: the cache is nil
	}
	fmt.Fprintln(w, "ordered")
}

func main() { demo.Main(run) }

func run(ctx context.Context, out io.Writer, target *demo.Target) error {
	if err := raven.Init(raven.WithDSN(target.DSN)); err != nil {
		return err
	}

	mux := http.NewServeMux()
	mux.HandleFunc("POST /orders/{sku}", order)
	web := httptest.NewServer(ravenhttp.Handler(mux))
	defer web.Close()

	client := &http.Client{Transport: ravenhttpclient.New(nil)} // breadcrumbs for outgoing calls
	if err := demo.Orders(ctx, out, client, web.URL, "/orders/", "book", "gone", "crash"); err != nil {
		return err
	}

	return target.Finish(ctx, out, raven.Close, demo.OrderEvent)
}

// priceCache returns the prices cached for a product, or nil: the caller
// above forgets that.
func priceCache(sku string) map[string]int { return nil }
