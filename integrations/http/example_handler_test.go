package ravenhttp_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/ravenkit/raven"
	ravenhttp "github.com/ravenkit/raven/integrations/http"
	"github.com/ravenkit/raven/raventest"
)

// ExampleHandler wraps a ServeMux: each request gets its own scope, an error
// captured with r.Context() carries the request, and a panic is reported and
// answered 500. The server runs on 127.0.0.1 and the
// events are read back from a raventest receiver.
func ExampleHandler() {
	receiver, err := raventest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer receiver.Close()
	client, err := raven.New(raven.WithDSN(receiver.DSN()))
	if err != nil {
		log.Fatal(err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		raven.ScopeFromContext(r.Context()).SetTag("order", r.PathValue("id"))
		raven.CaptureExceptionContext(r.Context(), errors.New("order not found in cache"))
		fmt.Fprintln(w, "order", r.PathValue("id"))
	})
	mux.HandleFunc("POST /checkout", func(w http.ResponseWriter, r *http.Request) {
		panic("nil cart")
	})
	web := httptest.NewServer(ravenhttp.Handler(mux, ravenhttp.WithClient(client)))
	defer web.Close()

	for _, req := range []struct{ method, path string }{{"GET", "/orders/7"}, {"POST", "/checkout"}} {
		r, err := http.NewRequest(req.method, web.URL+req.path, nil)
		if err != nil {
			log.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
		fmt.Println(req.method, req.path, resp.StatusCode)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = client.Close(ctx)
	events, err := receiver.WaitForEvents(ctx, 2)
	if err != nil {
		log.Fatal(err)
	}
	for _, ev := range events {
		exc := ev.Exception.Values[len(ev.Exception.Values)-1]
		fmt.Printf("%s %s: %s (order=%q)\n", ev.Request.Method, ev.Request.URL[len(web.URL):], exc.Value, ev.Tags["order"])
	}
	// Unordered output:
	// GET /orders/7 200
	// POST /checkout 500
	// GET /orders/7: order not found in cache (order="7")
	// POST /checkout: nil cart (order="")
}
