// Command zap shows the zap core: inside a request served by the net/http
// middleware, info entries of a logger bound to the request's context
// (ravenzap.Context) become breadcrumbs of that request only, and an entry
// at error level with zap.Error becomes an event carrying them.
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
	ravenzap "github.com/ravenkit/raven/integrations/zap"
	"github.com/ravenkit/raven/internal/demo"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

var errOutOfStock = errors.New("out of stock")

func run(ctx context.Context, out io.Writer, target *demo.Target) error {
	if err := raven.Init(raven.WithDSN(target.DSN)); err != nil {
		return err
	}

	jsonCore := zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.Lock(os.Stderr), zapcore.InfoLevel)
	logger := zap.New(zapcore.NewTee(jsonCore, ravenzap.NewCore(ravenzap.WithTagKeys("sku"))))
	defer func() { _ = logger.Sync() }()

	mux := http.NewServeMux()
	mux.HandleFunc("POST /orders/{sku}", func(w http.ResponseWriter, r *http.Request) {
		sku := r.PathValue("sku")
		log := logger.With(ravenzap.Context(r.Context()), zap.String("sku", sku)) // the request's scope
		log.Info("checking stock")
		if sku == "gone" {
			log.Error("order failed", zap.Error(fmt.Errorf("order %s: %w", sku, errOutOfStock)))
			http.Error(w, "out of stock", http.StatusConflict)
			return
		}
		log.Info("ordered", zap.Int("qty", 1))
		fmt.Fprintln(w, "ordered")
	})
	if err := demo.Serve(ctx, out, ravenhttp.Handler(mux), "/orders/", "book", "pen", "gone"); err != nil {
		return err
	}
	return target.Finish(ctx, out, raven.Close, demo.LogEvent)
}

func main() { demo.Main(run) }
