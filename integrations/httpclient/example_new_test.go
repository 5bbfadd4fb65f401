package ravenhttpclient_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/ravenkit/raven"
	ravenhttpclient "github.com/ravenkit/raven/integrations/httpclient"
	"github.com/ravenkit/raven/raventest"
)

// ExampleNew records a breadcrumb for each outgoing request on the scope of
// the request's context; an error reported later with that context shows the
// calls that led to it.
func ExampleNew() {
	tr := raventest.NewTransport()
	client, err := raven.New(raven.WithDSN("https://key@sentry.example.com/1"), raven.WithTransport(tr))
	if err != nil {
		log.Fatal(err)
	}
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer api.Close()

	httpClient := &http.Client{Transport: ravenhttpclient.New(nil)}
	ctx := client.WithScope(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, api.URL+"/rates", nil)
	if err != nil {
		log.Fatal(err)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		client.CaptureExceptionContext(ctx, errors.New("exchange rates unavailable"))
	}
	_ = client.Close(context.Background())

	crumb := tr.Events()[0].Breadcrumbs.Values[0]
	fmt.Println(crumb.Type, crumb.Data["method"], crumb.Data["status_code"], crumb.Data["url"] == api.URL+"/rates")
	// Output: http GET 503 true
}
