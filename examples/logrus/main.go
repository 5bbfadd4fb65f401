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
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/ravenkit/raven"
	ravenhttp "github.com/ravenkit/raven/integrations/http"
	ravenlogrus "github.com/ravenkit/raven/integrations/logrus"
	"github.com/ravenkit/raven/raventest"
	"github.com/sirupsen/logrus"
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
