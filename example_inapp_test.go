package raven_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/raventest"
)

// An explicit include wins over an exclude: here every package under
// github.com/ravenkit is excluded, yet the example's own package, which
// an include names, stays in-app. The standard library never is.
func ExampleWithInAppInclude() {
	tr := raventest.NewTransport()
	client, _ := raven.New(raven.WithDSN("https://key@sentry.example.com/1"), raven.WithTransport(tr),
		raven.WithInAppExclude("github.com/ravenkit"),
		raven.WithInAppInclude("github.com/ravenkit/raven"),
	)
	client.CaptureException(errors.New("disk full"))
	_ = client.Close(context.Background())

	frames := tr.Events()[0].Exception.Values[0].Stacktrace.Frames
	for _, f := range frames[len(frames)-2:] {
		fmt.Printf("%s.%s in_app=%v\n", f.Module, f.Function, f.InApp)
	}
	// Output:
	// testing.runExample in_app=false
	// github.com/ravenkit/raven_test.ExampleWithInAppInclude in_app=true
}
