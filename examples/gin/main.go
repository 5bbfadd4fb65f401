// Command gin shows the gin middleware: every request gets its own scope
// (user, tags, breadcrumbs), errors recorded with c.Error are reported with
// the route as transaction, and panics are reported and answered 500.
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

	"github.com/gin-gonic/gin"
	"github.com/ravenkit/raven"
	ravengin "github.com/ravenkit/raven/integrations/gin"
	"github.com/ravenkit/raven/internal/demo"
)

var errOutOfStock = errors.New("out of stock")

func order(c *gin.Context) {
	sku := c.Param("sku")
	scope := ravengin.Scope(c) // this request's own scope
	scope.SetUser(&raven.User{ID: c.GetHeader("X-User")})
	scope.SetTag("sku", sku)
	raven.AddBreadcrumb(c.Request.Context(), raven.Breadcrumb{Category: "stock", Message: "checked warehouse"})
	switch sku {
	case "gone":
		// recorded, reported when the handlers return (a private error)
		_ = c.AbortWithError(http.StatusConflict, fmt.Errorf("order %s: %w", sku, errOutOfStock))
		return
	case "bad":
		// a public error is an answer to the client: not reported
		_ = c.Error(errors.New("sku not recognised")).SetType(gin.ErrorTypePublic)
		c.String(http.StatusBadRequest, "bad sku\n")
		return
	case "crash":
		prices := priceCache()
		prices["crash"]++ // a real bug: the cache is nil
	}
	c.String(http.StatusOK, "ordered\n")
}

func run(ctx context.Context, out io.Writer, target *demo.Target) error {
	client, err := raven.New(raven.WithDSN(target.DSN))
	if err != nil {
		return err
	}

	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(ravengin.New(ravengin.WithClient(client)))
	r.POST("/orders/:sku", order)
	if err := demo.Serve(ctx, out, r, "/orders/", "book", "gone", "bad", "crash"); err != nil {
		return err
	}
	return target.Finish(ctx, out, client.Close, demo.OrderEvent)
}

func main() { demo.Main(run) }

// priceCache returns the prices cached for this instance, or nil: the
// handler above forgets that.
func priceCache() map[string]int { return nil }
