package benchmarks

import (
	"net/http"
	"testing"

	sentrygin "github.com/getsentry/sentry-go/gin"
	"github.com/gin-gonic/gin"
	"github.com/ravenkit/raven"
	ravengin "github.com/ravenkit/raven/integrations/gin"
)

// BenchmarkGin is one request through a gin engine (its ServeHTTP) into a
// route /orders/:id whose handler answers 200 and reports nothing, with
// each SDK's gin middleware; baseline is the engine without one. The
// difference to baseline is what a middleware adds per request.
//
// The official middleware is github.com/getsentry/sentry-go/gin v0.46.2,
// the newest the module proxy serves (there is no v0.50.0); it runs on
// sentry-go v0.50.0, the version every other benchmark here compares with.
func BenchmarkGin(b *testing.B) {
	gin.SetMode(gin.ReleaseMode)
	engine := func(mw ...gin.HandlerFunc) *gin.Engine {
		r := gin.New()
		r.Use(mw...)
		r.GET("/orders/:id", func(c *gin.Context) { c.Status(http.StatusOK) })
		return r
	}
	b.Run("baseline", func(b *testing.B) { serve(b, engine(), http.StatusOK, nil, nil) })
	b.Run("raven", func(b *testing.B) {
		tr := &ravenMem{}
		c, _ := newRaven(b, raven.WithDSN(memDSN), raven.WithTransport(tr), raven.WithSenders(1))
		serve(b, engine(ravengin.New(ravengin.WithClient(c))), http.StatusOK, nil, nil)
		flushRaven(b, c)
		if n := tr.events.Load(); n != 0 {
			b.Errorf("raven: %d events for requests that failed nothing", n)
		}
	})
	b.Run("sentry-go", func(b *testing.B) {
		tr := initSentry(b)
		serve(b, engine(sentrygin.New(sentrygin.Options{})), http.StatusOK, nil, nil)
		if n := tr.events.Load(); n != 0 {
			b.Errorf("sentry-go: %d events for requests that failed nothing", n)
		}
	})
}
