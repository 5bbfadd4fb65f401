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
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/ravenkit/raven"
	ravenchi "github.com/ravenkit/raven/integrations/chi"
	"github.com/ravenkit/raven/raventest"
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

	r := chi.NewRouter()
	r.Use(ravenchi.New())
	r.Route("/shop/{shop}", func(r chi.Router) {
		r.Post("/orders/{sku}", order)
	})
	web := httptest.NewServer(r)

	for _, sku := range []string{"book", "gone", "crash"} {
		req, _ := http.NewRequest(http.MethodPost, web.URL+"/shop/east/orders/"+sku, nil)
		req.Header.Set("X-User", "user-"+sku)
		resp, err := web.Client().Do(req)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			continue
		}
		resp.Body.Close()
		fmt.Printf("POST /shop/east/orders/%s -> %d\n", sku, resp.StatusCode)
	}
	web.Close()

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
