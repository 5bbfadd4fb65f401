package benchmarks

import (
	"testing"

	sentryfiber "github.com/getsentry/sentry-go/fiber"
	"github.com/gofiber/fiber/v2"
	"github.com/ravenkit/raven"
	ravenfiber "github.com/ravenkit/raven/integrations/fiber"
)

// fiberApp is an app serving GET /orders/:id with h, behind mw when it is
// not nil; it is benchmarked in process through app.Handler() with
// newRequestCtx (see serveFast), not through app.Test, whose in-memory
// connection and HTTP parsing would dwarf the middleware.
func fiberApp(mw fiber.Handler, h fiber.Handler) *fiber.App {
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	if mw != nil {
		app.Use(mw)
	}
	app.Get("/orders/:id", h)
	return app
}

// BenchmarkFiber is one request through each SDK's Fiber (v2) middleware
// into a handler that succeeds; baseline is the app without middleware.
// sentry-go's Fiber integration is at v0.49.0, the newest the module proxy
// serves, with sentry-go itself at v0.50.0 as everywhere in this module.
func BenchmarkFiber(b *testing.B) {
	ok := func(c *fiber.Ctx) error { return c.SendStatus(fiber.StatusOK) }
	b.Run("baseline", func(b *testing.B) {
		serveFast(b, fiberApp(nil, ok).Handler(), fiber.StatusOK)
	})
	b.Run("raven", func(b *testing.B) {
		c, _ := newRaven(b, raven.WithDSN(memDSN), raven.WithTransport(&ravenMem{}))
		serveFast(b, fiberApp(ravenfiber.New(ravenfiber.WithClient(c)), ok).Handler(), fiber.StatusOK)
	})
	b.Run("sentry-go", func(b *testing.B) {
		initSentry(b)
		serveFast(b, fiberApp(sentryfiber.New(sentryfiber.Options{}), ok).Handler(), fiber.StatusOK)
	})
}
