// Command logrus shows the logrus hook: inside a request served by the
// net/http middleware, info entries logged with the request's context
// become breadcrumbs of that request only, and an entry at error level
// with an error becomes an event carrying them.
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
	ravenlogrus "github.com/ravenkit/raven/integrations/logrus"
	"github.com/ravenkit/raven/internal/demo"
	"github.com/sirupsen/logrus"
)

var errOutOfStock = errors.New("out of stock")

func run(ctx context.Context, out io.Writer, target *demo.Target) error {
	if err := raven.Init(raven.WithDSN(target.DSN)); err != nil {
		return err
	}

	logger := logrus.New()
	logger.SetFormatter(&logrus.JSONFormatter{})
	logger.SetOutput(os.Stderr)
	logger.AddHook(ravenlogrus.NewHook(ravenlogrus.WithTagKeys("sku")))

	mux := http.NewServeMux()
	mux.HandleFunc("POST /orders/{sku}", func(w http.ResponseWriter, r *http.Request) {
		sku := r.PathValue("sku")
		log := logger.WithContext(r.Context()).WithField("sku", sku) // the request's scope
		log.Info("checking stock")
		if sku == "gone" {
			log.WithError(fmt.Errorf("order %s: %w", sku, errOutOfStock)).Error("order failed")
			http.Error(w, "out of stock", http.StatusConflict)
			return
		}
		log.WithField("qty", 1).Info("ordered")
		fmt.Fprintln(w, "ordered")
	})
	if err := demo.Serve(ctx, out, ravenhttp.Handler(mux), "/orders/", "book", "pen", "gone"); err != nil {
		return err
	}
	return target.Finish(ctx, out, raven.Close, demo.LogEvent)
}

func main() { demo.Main(run) }
