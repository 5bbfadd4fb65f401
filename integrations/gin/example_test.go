package ravengin_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/gin-gonic/gin"
	"github.com/ravenkit/raven"
	ravengin "github.com/ravenkit/raven/integrations/gin"
	"github.com/ravenkit/raven/raventest"
)

func ExampleNew() {
	receiver, _ := raventest.Start() // stands in for Sentry
	defer receiver.Close()
	client, _ := raven.New(raven.WithDSN(receiver.DSN()))

	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(ravengin.New(ravengin.WithClient(client)))
	r.GET("/orders/:id", func(c *gin.Context) {
		ravengin.Scope(c).SetTag("order", c.Param("id")) // this request's scope only
		_ = c.Error(fmt.Errorf("load order %s: %w", c.Param("id"), errors.New("database down")))
		c.Status(http.StatusInternalServerError)
	})
	web := httptest.NewServer(r)
	defer web.Close()

	resp, err := http.Get(web.URL + "/orders/42")
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	_ = client.Close(context.Background()) // delivers what is queued

	for _, ev := range receiver.Events() {
		exc := ev.Exception.Values[len(ev.Exception.Values)-1]
		fmt.Printf("%s: %s (order %s)\n", ev.Transaction, exc.Value, ev.Tags["order"])
	}
	// Output: GET /orders/:id: load order 42: database down (order 42)
}

func ExampleScope() {
	r := gin.New()
	r.Use(ravengin.New())
	r.POST("/checkout", func(c *gin.Context) {
		scope := ravengin.Scope(c)
		scope.SetUser(&raven.User{ID: c.GetHeader("X-User")})
		scope.AddBreadcrumb(raven.Breadcrumb{Category: "cart", Message: "validated"})
		// the request's context carries the same scope
		raven.CaptureMessageContext(c.Request.Context(), "checkout started")
	})
	_ = r
}

func ExampleWithErrorTypes() {
	r := gin.New()
	// report private and public errors; bind and render errors stay out
	r.Use(ravengin.New(ravengin.WithErrorTypes(gin.ErrorTypePrivate | gin.ErrorTypePublic)))
	r.GET("/orders/:id", func(c *gin.Context) {
		if c.Param("id") == "0" {
			// an answer to the client: public, so left out by default
			_ = c.AbortWithError(http.StatusNotFound, errors.New("no order 0")).SetType(gin.ErrorTypePublic)
			return
		}
		c.Status(http.StatusOK)
	})
	_ = r
}
