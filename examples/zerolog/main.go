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
	"io"
	"net/http"
	"os"

	"github.com/ravenkit/raven"
	ravenhttp "github.com/ravenkit/raven/integrations/http"
	ravenzerolog "github.com/ravenkit/raven/integrations/zerolog"
	"github.com/ravenkit/raven/internal/demo"
	"github.com/rs/zerolog"
)

var errOutOfStock = errors.New("out of stock")

func run(ctx context.Context, out io.Writer, target *demo.Target) error {
	if err := raven.Init(raven.WithDSN(target.DSN)); err != nil {
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
	if err := demo.Serve(ctx, out, ravenhttp.Handler(withLogger(mux)), "/orders/", "book", "pen", "gone"); err != nil {
		return err
	}
	return target.Finish(ctx, out, raven.Close, demo.LogEvent)
}

func main() { demo.Main(run) }
