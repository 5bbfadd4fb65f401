// Command echo shows the echo (v4) middleware: every request gets its own
// scope (user, tags, breadcrumbs), returned errors that answer 5xx are
// reported with the route as transaction (4xx are not), and panics are
// reported and answered 500 by echo's error handler.
//
// It serves a few requests to itself against an in-process receiver (or
// SENTRY_DSN when set), prints what was sent, and exits.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/ravenkit/raven"
	ravenecho "github.com/ravenkit/raven/integrations/echo"
	"github.com/ravenkit/raven/raventest"
)

var errWarehouseDown = errors.New("warehouse down")

func order(c echo.Context) error {
	sku := c.Param("sku")
	scope := ravenecho.Scope(c) // this request's own scope
	scope.SetUser(&raven.User{ID: c.Request().Header.Get("X-User")})
	scope.SetTag("sku", sku)
	raven.AddBreadcrumb(c.Request().Context(), raven.Breadcrumb{Category: "stock", Message: "checked warehouse"})
	switch sku {
	case "down":
		return fmt.Errorf("order %s: %w", sku, errWarehouseDown) // a plain error: 500, reported
	case "bad":
		return echo.NewHTTPError(http.StatusBadRequest, "bad sku") // a 4xx: answered, not reported
	case "crash":
		prices := priceCache()
		prices["crash"]++ // a real bug: the cache is nil
	}
	return c.String(http.StatusOK, "ordered\n")
}

func run(out io.Writer, getenv func(string) string) error {
	dsn := getenv(raven.EnvDSN)
	var receiver *raventest.Server
	if dsn == "" {
		var err error
		if receiver, err = raventest.Start(); err != nil {
			return err
		}
		defer receiver.Close()
		dsn = receiver.DSN()
	}
	client, err := raven.New(raven.WithDSN(dsn))
	if err != nil {
		return err
	}

	e := echo.New()
	e.HideBanner = true
	e.Use(ravenecho.New(ravenecho.WithClient(client)))
	e.POST("/orders/:sku", order)
	web := httptest.NewServer(e)
	defer web.Close()

	for _, sku := range []string{"book", "down", "bad", "crash"} {
		req, _ := http.NewRequest(http.MethodPost, web.URL+"/orders/"+sku, nil)
		req.Header.Set("X-User", "user-"+sku)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		fmt.Fprintf(out, "POST /orders/%s -> %d\n", sku, resp.StatusCode)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := client.Close(ctx); err != nil {
		return err
	}
	if receiver == nil {
		fmt.Fprintln(out, "events sent to", raven.EnvDSN)
		return nil
	}
	fmt.Fprintf(out, "the receiver got %d events:\n", len(receiver.Events()))
	for _, ev := range receiver.Events() {
		exc := ev.Exception.Values[len(ev.Exception.Values)-1]
		fmt.Fprintf(out, "  %s: %s (user %s, sku %s)\n", ev.Transaction, exc.Value, ev.User.ID, ev.Tags["sku"])
	}
	return nil
}

func main() {
	if err := run(os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// priceCache returns the prices cached for this instance, or nil: the
// handler above forgets that.
func priceCache() map[string]int { return nil }
