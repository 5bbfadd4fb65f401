package raven_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/raventest"
)

func ExampleWithScope() {
	tr := raventest.NewTransport()
	client, _ := raven.New(raven.WithDSN("https://key@sentry.example.com/1"), raven.WithTransport(tr))

	base := client.WithScope(context.Background())
	raven.ScopeFromContext(base).SetTag("service", "billing")

	// one child scope per request: nothing leaks between them
	for _, user := range []string{"ann", "bob"} {
		ctx := raven.WithScope(base)
		raven.ScopeFromContext(ctx).SetUser(&raven.User{ID: user})
		raven.AddBreadcrumb(ctx, raven.Breadcrumb{Message: "charging " + user})
		client.CaptureExceptionContext(ctx, errors.New("card declined"))
		_ = client.Flush(context.Background())
	}
	_ = client.Close(context.Background())

	for _, ev := range tr.Events() {
		fmt.Println(ev.User.ID, ev.Tags["service"], len(ev.Breadcrumbs.Values), ev.Breadcrumbs.Values[0].Message)
	}
	// Output:
	// ann billing 1 charging ann
	// bob billing 1 charging bob
}
