package ravenecho5_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/labstack/echo/v5"
	"github.com/ravenkit/raven"
	ravenecho5 "github.com/ravenkit/raven/integrations/echo5"
	"github.com/ravenkit/raven/raventest"
)

func ExampleNew() {
	receiver, _ := raventest.Start() // stands in for Sentry
	defer receiver.Close()
	client, _ := raven.New(raven.WithDSN(receiver.DSN()))

	e := echo.New()
	e.Use(ravenecho5.New(ravenecho5.WithClient(client)))
	e.GET("/orders/:id", func(c *echo.Context) error {
		ravenecho5.Scope(c).SetTag("order", c.Param("id")) // this request's scope only
		if c.Param("id") == "0" {
			return echo.ErrNotFound // a 4xx: answered, not reported
		}
		return fmt.Errorf("load order %s: %w", c.Param("id"), errors.New("database down"))
	})
	web := httptest.NewServer(e)
	defer web.Close()

	for _, id := range []string{"0", "42"} {
		resp, err := http.Get(web.URL + "/orders/" + id)
		if err != nil {
			fmt.Println(err)
			return
		}
		resp.Body.Close()
		fmt.Println(id, resp.StatusCode)
	}
	_ = client.Close(context.Background()) // delivers what is queued

	for _, ev := range receiver.Events() {
		exc := ev.Exception.Values[len(ev.Exception.Values)-1]
		fmt.Printf("%s: %s (order %s)\n", ev.Transaction, exc.Value, ev.Tags["order"])
	}
	// Output:
	// 0 404
	// 42 500
	// GET /orders/:id: load order 42: database down (order 42)
}

func ExampleWithReportStatus() {
	e := echo.New()
	// report 4xx answers too, except 404s
	e.Use(ravenecho5.New(ravenecho5.WithReportStatus(func(status int) bool {
		return status >= 400 && status != http.StatusNotFound
	})))
	_ = e
}

func ExampleScope() {
	e := echo.New()
	e.Use(ravenecho5.New())
	e.POST("/checkout", func(c *echo.Context) error {
		scope := ravenecho5.Scope(c)
		scope.SetUser(&raven.User{ID: c.Request().Header.Get("X-User")})
		scope.AddBreadcrumb(raven.Breadcrumb{Category: "cart", Message: "validated"})
		// the request's context carries the same scope
		raven.CaptureMessageContext(c.Request().Context(), "checkout started")
		return c.NoContent(http.StatusAccepted)
	})
	_ = e
}

func ExampleStatusOf() {
	fmt.Println(ravenecho5.StatusOf(errors.New("plain")))
	fmt.Println(ravenecho5.StatusOf(fmt.Errorf("lookup: %w", echo.ErrNotFound)))
	// Output:
	// 500
	// 404
}
