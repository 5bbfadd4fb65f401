package raventest_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ravenkit/raven"
	ravenhttp "github.com/ravenkit/raven/integrations/http"
	"github.com/ravenkit/raven/raventest"
)

// checkout is code under test: it reports a failed payment with the scope of
// the request.
func checkout(w http.ResponseWriter, r *http.Request) {
	raven.ScopeFromContext(r.Context()).SetUser(&raven.User{ID: "u-17"})
	raven.CaptureExceptionContext(r.Context(), fmt.Errorf("checkout: %w", errors.New("card declined")))
	http.Error(w, "payment failed", http.StatusPaymentRequired)
}

// ExampleNewServer is the shape of a test of your error reporting: a receiver
// that the test closes, a client reporting to it made the default (for code
// that calls the package-level functions) and given to the middleware, and
// assertions on the events that arrived. Inside a real test, t comes from
// func TestCheckoutReportsCardErrors(t *testing.T); ExampleStart runs the same
// steps.
func ExampleNewServer() {
	testCheckoutReportsCardErrors := func(t *testing.T) {
		srv := raventest.NewServer(t) // closed when the test ends
		client, err := raven.New(raven.WithDSN(srv.DSN()))
		if err != nil {
			t.Fatal(err)
		}
		raven.SetDefault(client)
		t.Cleanup(func() { raven.SetDefault(nil) })

		mux := http.NewServeMux()
		mux.HandleFunc("POST /checkout", checkout)
		web := httptest.NewServer(ravenhttp.Handler(mux, ravenhttp.WithClient(client)))
		t.Cleanup(web.Close)
		resp, err := http.Post(web.URL+"/checkout", "application/json", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()

		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		if err := client.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		events, err := srv.WaitForEvents(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		if got := events[0].User.ID; got != "u-17" {
			t.Errorf("user %q, want u-17", got)
		}
	}
	_ = testCheckoutReportsCardErrors
}

// ExampleStart runs a receiver outside a test (NewServer is the same for
// tests), makes a client reporting to it the default, gives it to the
// middleware, and reads back what arrived.
func ExampleStart() {
	srv, err := raventest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	client, err := raven.New(raven.WithDSN(srv.DSN()))
	if err != nil {
		log.Fatal(err)
	}
	raven.SetDefault(client)
	defer raven.SetDefault(nil)

	mux := http.NewServeMux()
	mux.HandleFunc("POST /checkout", checkout)
	web := httptest.NewServer(ravenhttp.Handler(mux, ravenhttp.WithClient(client)))
	defer web.Close()
	resp, err := http.Post(web.URL+"/checkout", "application/json", nil)
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	fmt.Println("answered", resp.StatusCode)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := raven.Close(ctx); err != nil {
		log.Fatal(err)
	}
	events, err := srv.WaitForEvents(ctx, 1)
	if err != nil {
		log.Fatal(err)
	}
	ev := events[0]
	fmt.Println(ev.User.ID, ev.Request.Method, ev.Exception.Values[len(ev.Exception.Values)-1].Value)
	fmt.Println("rejected requests:", len(srv.Rejected()))
	// Output:
	// answered 402
	// u-17 POST checkout: card declined
	// rejected requests: 0
}
