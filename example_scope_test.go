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

func ExampleScope_AddEventProcessor() {
	tr := raventest.NewTransport()
	client, _ := raven.New(raven.WithDSN("https://key@sentry.example.com/1"), raven.WithTransport(tr))

	// a job's scope: its processor sees this job's events only
	ctx := client.WithScope(context.Background())
	scope := raven.ScopeFromContext(ctx)
	scope.SetExtras(map[string]any{"job": "nightly-export", "attempt": 3})
	scope.AddEventProcessor(func(ev *raven.Event, hint *raven.EventHint) *raven.Event {
		if errors.Is(hint.Err, context.Canceled) {
			return nil // the job was stopped, not broken
		}
		ev.Fingerprint = []string{"nightly-export", "{{ default }}"}
		return ev
	})
	client.CaptureExceptionContext(ctx, fmt.Errorf("export: %w", context.Canceled))
	client.CaptureExceptionContext(ctx, errors.New("bucket not found"))
	_ = client.Flush(context.Background()) // so that the events print in order
	scope.RemoveExtra("attempt")
	client.CaptureException(errors.New("outside the job"))
	_ = client.Close(context.Background())

	for _, ev := range tr.Events() {
		fmt.Println(ev.Exception.Values[0].Value, ev.Fingerprint, ev.Extra["job"])
	}
	// Output:
	// bucket not found [nightly-export {{ default }}] nightly-export
	// outside the job [] <nil>
}
