package benchmarks

import (
	"net/http"
	"testing"

	sentryecho "github.com/getsentry/sentry-go/echo"
	"github.com/labstack/echo/v4"
	"github.com/ravenkit/raven"
	ravenecho "github.com/ravenkit/raven/integrations/echo"
)

// BenchmarkEcho is one request through an echo (v4) server (its
// ServeHTTP) into a route /orders/:id whose handler answers 200 and returns
// no error, with each SDK's echo middleware; baseline is the server without
// one. The difference to baseline is what a middleware adds per request.
//
// The official middleware is github.com/getsentry/sentry-go/echo v0.42.0,
// the only version the module proxy serves; it runs on sentry-go v0.50.0,
// the version every other benchmark here compares with.
func BenchmarkEcho(b *testing.B) {
	server := func(mw ...echo.MiddlewareFunc) *echo.Echo {
		e := echo.New()
		e.Use(mw...)
		e.GET("/orders/:id", func(c echo.Context) error { return c.NoContent(http.StatusOK) })
		return e
	}
	b.Run("baseline", func(b *testing.B) { serve(b, server(), http.StatusOK, nil, nil) })
	b.Run("raven", func(b *testing.B) {
		tr := &ravenMem{}
		c, _ := newRaven(b, raven.WithDSN(memDSN), raven.WithTransport(tr), raven.WithSenders(1))
		serve(b, server(ravenecho.New(ravenecho.WithClient(c))), http.StatusOK, nil, nil)
		flushRaven(b, c)
		if n := tr.events.Load(); n != 0 {
			b.Errorf("raven: %d events for requests that failed nothing", n)
		}
	})
	b.Run("sentry-go", func(b *testing.B) {
		tr := initSentry(b)
		serve(b, server(sentryecho.New(sentryecho.Options{})), http.StatusOK, nil, nil)
		if n := tr.events.Load(); n != 0 {
			b.Errorf("sentry-go: %d events for requests that failed nothing", n)
		}
	})
}
