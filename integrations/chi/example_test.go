package ravenchi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/go-chi/chi/v5"
	"github.com/ravenkit/raven"
	ravenchi "github.com/ravenkit/raven/integrations/chi"
	ravenhttp "github.com/ravenkit/raven/integrations/http"
	"github.com/ravenkit/raven/raventest"
)

func Example() {
	receiver, _ := raventest.Start() // stands for Sentry
	defer receiver.Close()
	client, _ := raven.New(raven.WithDSN(receiver.DSN()))

	r := chi.NewRouter()
	r.Use(ravenchi.New(ravenhttp.WithClient(client)))
	r.Route("/orders", func(r chi.Router) {
		r.Get("/{id}", func(w http.ResponseWriter, r *http.Request) {
			raven.ScopeFromContext(r.Context()).SetTag("order", chi.URLParam(r, "id"))
			raven.CaptureExceptionContext(r.Context(), errors.New("order is out of stock"))
			http.Error(w, "out of stock", http.StatusConflict)
		})
	})
	web := httptest.NewServer(r)
	defer web.Close()

	resp, err := web.Client().Get(web.URL + "/orders/7")
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println("status", resp.StatusCode)

	_ = client.Close(context.Background())
	for _, ev := range receiver.Events() {
		fmt.Println(ev.Transaction, "|", ev.Exception.Values[0].Value, "| order", ev.Tags["order"])
	}
	// Output:
	// status 409
	// GET /orders/{id} | order is out of stock | order 7
}
