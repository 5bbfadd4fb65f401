package ravenfiber3_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/ravenkit/raven"
	ravenfiber3 "github.com/ravenkit/raven/integrations/fiber3"
	"github.com/ravenkit/raven/raventest"
)

func Example() {
	receiver, _ := raventest.Start() // stands for Sentry
	defer receiver.Close()
	client, _ := raven.New(raven.WithDSN(receiver.DSN()))

	app := fiber.New()
	app.Server().MaxIdleWorkerDuration = 10 * time.Millisecond
	app.Use(ravenfiber3.New(ravenfiber3.WithClient(client)))
	app.Get("/orders/:id", func(c fiber.Ctx) error {
		ravenfiber3.Scope(c).SetTag("order", strings.Clone(c.Params("id")))
		if c.Params("id") == "404" {
			return fiber.ErrNotFound // a client error: not reported
		}
		return errors.New("database is down") // reported, then answered by the ErrorHandler
	})
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	go func() { _ = app.Listener(ln, fiber.ListenConfig{DisableStartupMessage: true}) }()
	defer func() { _ = app.Shutdown() }()

	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()
	for _, id := range []string{"7", "404"} {
		resp, err := hc.Get("http://" + ln.Addr().String() + "/orders/" + id)
		if err != nil {
			fmt.Println(err)
			return
		}
		resp.Body.Close()
		fmt.Println("order", id, "status", resp.StatusCode)
	}

	_ = client.Close(context.Background())
	for _, ev := range receiver.Events() {
		fmt.Println(ev.Transaction, "|", ev.Exception.Values[0].Value, "| order", ev.Tags["order"])
	}
	// Output:
	// order 7 status 500
	// order 404 status 404
	// GET /orders/:id | database is down | order 7
}

func ExampleScope() {
	handler := func(c fiber.Ctx) error {
		ravenfiber3.Scope(c).SetUser(&raven.User{ID: strings.Clone(c.Get("X-User"))})
		// c.Context() carries the same scope, for code that takes a context
		raven.AddBreadcrumb(c.Context(), raven.Breadcrumb{Message: "loaded cart"})
		return nil
	}
	_ = handler
}

func ExampleWithErrorFilter() {
	_ = ravenfiber3.New(ravenfiber3.WithErrorFilter(func(err error) bool {
		return !errors.Is(err, context.Canceled) && ravenfiber3.DefaultErrorFilter(err)
	}))
}
