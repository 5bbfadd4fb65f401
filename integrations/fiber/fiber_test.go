package ravenfiber_test

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	ravenfiber "github.com/ravenkit/raven/integrations/fiber"
	"github.com/ravenkit/raven/integrations/internal/inttest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// fasthttp refreshes its Date header from a goroutine that never ends
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1"))
}

// newApp returns an app whose fasthttp server's worker pool stops soon
// after Shutdown (its cleaner otherwise sleeps 10 s before it sees the stop).
func newApp(cfg ...fiber.Config) *fiber.App {
	app := fiber.New(cfg...)
	app.Server().MaxIdleWorkerDuration = 10 * time.Millisecond
	return app
}

// TestFiberSuite runs the tests both Fiber middlewares pass.
func TestFiberSuite(t *testing.T) {
	inttest.RunFiber(t, inttest.Fiber[*fiber.Ctx]{
		NewApp:             func() inttest.FiberApp[*fiber.Ctx] { return app{newApp(fiber.Config{DisableStartupMessage: true})} },
		Middleware:         func(opts ...ravenfiber.Option) func(*fiber.Ctx) error { return ravenfiber.New(opts...) },
		Scope:              ravenfiber.Scope,
		LocalsKey:          ravenfiber.LocalsKey,
		DefaultErrorFilter: ravenfiber.DefaultErrorFilter,
		Params:             func(c *fiber.Ctx, name string) string { return c.Params(name) },
		Locals:             func(c *fiber.Ctx, key string) any { return c.Locals(key) },
		Context:            (*fiber.Ctx).UserContext,
		Other:              func(c *fiber.Ctx) context.Context { return c.Context() },
		Send:               func(c *fiber.Ctx, status int, body string) error { return c.Status(status).SendString(body) },
		Panic: func() {
			var prices map[string]int
			prices["x"]++ //lint:ignore SA5000 the panic under test
		},
		Next:       (*fiber.Ctx).Next,
		NewError:   func(code int, msg ...string) error { return fiber.NewError(code, msg...) },
		NotFound:   fiber.ErrNotFound,
		BadRequest: fiber.ErrBadRequest,
		Internal:   fiber.ErrInternalServerError,
	})
}

// app is a Fiber v2 app as the suite uses it.
type app struct{ *fiber.App }

func (a app) Get(path string, h func(*fiber.Ctx) error)  { a.App.Get(path, h) }
func (a app) Post(path string, h func(*fiber.Ctx) error) { a.App.Post(path, h) }
func (a app) Use(h func(*fiber.Ctx) error)               { a.App.Use(h) }

func (a app) GroupPost(prefix, path string, h func(*fiber.Ctx) error) {
	a.App.Group(prefix).Post(path, h)
}

func (a app) Listener(ln net.Listener) error                 { return a.App.Listener(ln) }
func (a app) Test(req *http.Request) (*http.Response, error) { return a.App.Test(req, -1) }
