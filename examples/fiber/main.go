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
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/ravenkit/raven"
	ravenfiber "github.com/ravenkit/raven/integrations/fiber"
	"github.com/ravenkit/raven/raventest"
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

	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Use(ravenfiber.New())
	app.Post("/orders/:sku", order)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	go func() { _ = app.Listener(ln) }()

	client := &http.Client{Transport: &http.Transport{}}
	for _, sku := range []string{"book", "gone", "unknown", "crash"} {
		req, _ := http.NewRequest(http.MethodPost, "http://"+ln.Addr().String()+"/orders/"+sku, nil)
		req.Header.Set("X-User", "user-"+sku)
		resp, err := client.Do(req)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			continue
		}
		resp.Body.Close()
		fmt.Printf("POST /orders/%s -> %d\n", sku, resp.StatusCode)
	}
	client.CloseIdleConnections()
	_ = app.ShutdownWithTimeout(5 * time.Second)

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
