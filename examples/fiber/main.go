// Command fiber shows the Fiber middleware: every request gets its own
// scope, errors the handlers return are reported (5xx and plain errors,
// not 404s) and still answered by Fiber's ErrorHandler, panics are
// reported and answered 500, and events are named by the route template.
//
// It serves a few requests to itself against an in-process receiver (or
// SENTRY_DSN when set), prints what it sent, and exits.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/ravenkit/raven"
	ravenfiber "github.com/ravenkit/raven/integrations/fiber"
	"github.com/ravenkit/raven/internal/demo"
)

var errOutOfStock = errors.New("out of stock")

func order(c *fiber.Ctx) error {
	scope := ravenfiber.Scope(c) // this request's own scope
	scope.SetUser(&raven.User{ID: strings.Clone(c.Get("X-User"))})
	sku := strings.Clone(c.Params("sku")) // Fiber reuses its strings after the request
	scope.SetTag("sku", sku)
	raven.AddBreadcrumb(c.UserContext(), raven.Breadcrumb{Category: "stock", Message: "checked warehouse"})
	switch sku {
	case "gone":
		return fmt.Errorf("order %s: %w", sku, errOutOfStock) // reported, then answered 500
	case "unknown":
		return fiber.ErrNotFound // a client error: answered, not reported
	case "crash":
		prices := priceCache()
		prices["crash"]++ // a real bug: the cache is nil
	}
	return c.SendString("ordered\n")
}

func main() { demo.Main(run) }

func run(ctx context.Context, out io.Writer, target *demo.Target) error {
	if err := raven.Init(raven.WithDSN(target.DSN)); err != nil {
		return err
	}

	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Use(ravenfiber.New())
	app.Post("/orders/:sku", order)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go func() { _ = app.Listener(ln) }()

	client := &http.Client{Transport: &http.Transport{}}
	err = demo.Orders(ctx, out, client, "http://"+ln.Addr().String(), "/orders/", "book", "gone", "unknown", "crash")
	_ = app.ShutdownWithTimeout(5 * time.Second)
	if err != nil {
		return err
	}

	return target.Finish(ctx, out, raven.Close, demo.OrderEvent)
}

// priceCache returns the prices cached for this instance, or nil: the
// handler above forgets that.
func priceCache() map[string]int { return nil }
