package raven_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/raventest"
)

func ExampleClient_CaptureException() {
	tr := raventest.NewTransport()
	client, _ := raven.New(raven.WithDSN("https://key@sentry.example.com/1"), raven.WithTransport(tr))

	err := fmt.Errorf("load config: %w", &fs.PathError{Op: "open", Path: "/etc/app.yaml", Err: fs.ErrNotExist})
	client.CaptureException(err)
	_ = client.Close(context.Background())

	// one exception per link of the chain, innermost first
	for _, e := range tr.Events()[0].Exception.Values {
		fmt.Printf("%s: %s\n", e.Type, e.Value)
	}
	// Output:
	// fs.ErrNotExist: file does not exist
	// *fs.PathError: open /etc/app.yaml: file does not exist
	// *fs.PathError: load config: open /etc/app.yaml: file does not exist
}

func ExampleCaptureMessage() {
	tr := raventest.NewTransport()
	client, _ := raven.New(raven.WithDSN("https://key@sentry.example.com/1"), raven.WithTransport(tr))
	raven.SetDefault(client)
	defer raven.SetDefault(nil)

	raven.CaptureMessage("nightly export skipped")
	_ = raven.Close(context.Background())

	ev := tr.Events()[0]
	fmt.Println(ev.Level, ev.Message.Formatted)
	// Output: info nightly export skipped
}

func ExampleWithBeforeSend() {
	tr := raventest.NewTransport()
	client, _ := raven.New(raven.WithDSN("https://key@sentry.example.com/1"), raven.WithTransport(tr),
		raven.WithBeforeSend(func(ev *raven.Event) *raven.Event {
			if ev.Exception != nil && ev.Exception.Values[0].Value == context.Canceled.Error() {
				return nil // not worth an alert
			}
			return ev
		}))
	client.CaptureException(context.Canceled)
	client.CaptureException(errors.New("disk full"))
	_ = client.Close(context.Background())

	st := client.Stats()
	fmt.Println("delivered:", st.Delivered, "dropped by BeforeSend:", st.Dropped[raven.DropBeforeSend])
	// Output: delivered: 1 dropped by BeforeSend: 1
}
