// Command zerolog shows the zerolog writer and hook: inside a request served
// by the net/http middleware, info records of the logger a middleware
// stored in the request's context (zerolog.Ctx) become breadcrumbs of that
// request only, and a record at error level with ravenzerolog.Err becomes
// an event carrying them.
//
// It serves a few requests to itself against an in-process receiver (or
// SENTRY_DSN when set), prints what was sent and exits.
package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/ravenkit/raven"
	ravenhttp "github.com/ravenkit/raven/integrations/http"
	ravenzerolog "github.com/ravenkit/raven/integrations/zerolog"
	"github.com/ravenkit/raven/raventest"
	"github.com/rs/zerolog"
)

var errOutOfStock = errors.New("out of stock")

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run() error {
	dsn := os.Getenv(raven.EnvDSN)
	var srv *raventest.Server
	if dsn == "" {
		var err error
		if srv, err = raventest.Start(); err != nil {
			return err
		}
		defer srv.Close()
		dsn = srv.DSN()
	}
	if err := raven.Init(raven.WithDSN(dsn)); err != nil {
		return err
	}

	w := ravenzerolog.NewWriter(os.Stderr, ravenzerolog.WithTagKeys("sku"))
	logger := zerolog.New(w).Hook(w).With().Timestamp().Logger()

	mux := http.NewServeMux()
	mux.HandleFunc("POST /orders/{sku}", func(w http.ResponseWriter, r *http.Request) {
		sku := r.PathValue("sku")
		log := zerolog.Ctx(r.Context()).With().Str("sku", sku).Logger()
		log.Info().Msg("checking stock")
		if sku == "gone" {
			log.Error().EmbedObject(ravenzerolog.Err(fmt.Errorf("order %s: %w", sku, errOutOfStock))).Msg("order failed")
			http.Error(w, "out of stock", http.StatusConflict)
			return
		}
		log.Info().Int("qty", 1).Msg("ordered")
		fmt.Fprintln(w, "ordered")
	})
	// a logger per request, carrying the request's context (and scope)
	withLogger := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx := logger.With().Ctx(r.Context()).Logger().WithContext(r.Context())
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
	web := httptest.NewServer(ravenhttp.Handler(withLogger(mux)))
	defer web.Close()
	for _, sku := range []string{"book", "pen", "gone"} {
		resp, err := http.Post(web.URL+"/orders/"+sku, "text/plain", nil)
		if err != nil {
			return err
		}
		resp.Body.Close()
		fmt.Printf("POST /orders/%s: %s\n", sku, resp.Status)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := raven.Close(ctx); err != nil {
		return err
	}
	if srv != nil {
		for _, ev := range srv.Events() {
			exc := ev.Exception.Values[len(ev.Exception.Values)-1]
			fmt.Printf("event %q (%s), tag sku=%s, extra log.message=%v\n",
				exc.Value, ev.Level, ev.Tags["sku"], ev.Extra["log.message"])
			for _, b := range ev.Breadcrumbs.Values {
				fmt.Printf("  breadcrumb %s: %s %v\n", b.Level, b.Message, b.Data)
			}
			fmt.Println("  (the other requests' breadcrumbs stayed on their own scopes)")
		}
	}
	return nil
}
