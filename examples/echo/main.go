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

	"github.com/labstack/echo/v4"
	"github.com/ravenkit/raven"
	ravenecho "github.com/ravenkit/raven/integrations/echo"
	"github.com/ravenkit/raven/internal/demo"
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

func run(ctx context.Context, out io.Writer, target *demo.Target) error {
	client, err := raven.New(raven.WithDSN(target.DSN))
	if err != nil {
		return err
	}

	e := echo.New()
	e.HideBanner = true
	e.Use(ravenecho.New(ravenecho.WithClient(client)))
	e.POST("/orders/:sku", order)
	if err := demo.Serve(ctx, out, e, "/orders/", "book", "down", "bad", "crash"); err != nil {
		return err
	}
	return target.Finish(ctx, out, client.Close, demo.OrderEvent)
}

func main() { demo.Main(run) }

// priceCache returns the prices cached for this instance, or nil: the
// handler above forgets that.
func priceCache() map[string]int { return nil }
