// Command chi shows raven on a chi router: ravenchi is the net/http
// middleware with every event of a request named by chi's route pattern,
// mounted routers included.
//
// It serves a few requests to itself against an in-process receiver (or
// SENTRY_DSN when set), prints what it sent, and exits.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/ravenkit/raven"
	ravenchi "github.com/ravenkit/raven/integrations/chi"
	"github.com/ravenkit/raven/internal/demo"
)

var errOutOfStock = errors.New("out of stock")

func order(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	sku := chi.URLParam(r, "sku")
	scope := raven.ScopeFromContext(ctx) // this request's own scope
	scope.SetUser(&raven.User{ID: r.Header.Get("X-User")})
	scope.SetTag("sku", sku)
	raven.AddBreadcrumb(ctx, raven.Breadcrumb{Category: "stock", Message: "checked warehouse"})
	switch sku {
	case "gone":
		raven.CaptureExceptionContext(ctx, fmt.Errorf("order %s: %w", sku, errOutOfStock))
		http.Error(w, "out of stock", http.StatusConflict)
		return
	case "crash":
		prices := priceCache()
		prices["crash"]++ // a real bug: the cache is nil
	}
	fmt.Fprintln(w, "ordered")
}

func main() { demo.Main(run) }

func run(ctx context.Context, out io.Writer, target *demo.Target) error {
	if err := raven.Init(raven.WithDSN(target.DSN)); err != nil {
		return err
	}

	r := chi.NewRouter()
	r.Use(ravenchi.New())
	r.Route("/shop/{shop}", func(r chi.Router) {
		r.Post("/orders/{sku}", order)
	})
	if err := demo.Serve(ctx, out, r, "/shop/east/orders/", "book", "gone", "crash"); err != nil {
		return err
	}
	return target.Finish(ctx, out, raven.Close, demo.OrderEvent)
}

// priceCache returns the prices cached for this instance, or nil: the
// handler above forgets that.
func priceCache() map[string]int { return nil }
