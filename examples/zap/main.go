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
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/ravenkit/raven"
	ravenhttp "github.com/ravenkit/raven/integrations/http"
	ravenzap "github.com/ravenkit/raven/integrations/zap"
	"github.com/ravenkit/raven/raventest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
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
	web := httptest.NewServer(ravenhttp.Handler(mux))
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
