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
		raven.WithBeforeSend(func(ev *raven.Event, hint *raven.EventHint) *raven.Event {
			var pe *fs.PathError
			if errors.As(hint.Err, &pe) {
				ev.Tags = map[string]string{"path": pe.Path} // the original error, not its text
			}
			if errors.Is(hint.Err, context.Canceled) {
				return nil // not worth an alert
			}
			return ev
		}))
	client.CaptureException(fmt.Errorf("query: %w", context.Canceled))
	client.CaptureException(fmt.Errorf("load: %w", &fs.PathError{Op: "open", Path: "/etc/app.yaml", Err: fs.ErrNotExist}))
	_ = client.Close(context.Background())

	st := client.Stats()
	fmt.Println("delivered:", st.Delivered, "dropped by BeforeSend:", st.Dropped[raven.DropBeforeSend])
	fmt.Println("path tag:", tr.Events()[0].Tags["path"])
	// Output:
	// delivered: 1 dropped by BeforeSend: 1
	// path tag: /etc/app.yaml
}

func ExampleWithIgnoreErrorsIs() {
	tr := raventest.NewTransport()
	client, _ := raven.New(raven.WithDSN("https://key@sentry.example.com/1"), raven.WithTransport(tr),
		raven.WithIgnoreErrorsIs(context.Canceled, context.DeadlineExceeded))
	client.CaptureException(fmt.Errorf("fetch prices: %w", context.DeadlineExceeded))
	client.CaptureException(errors.New("price feed answered garbage"))
	_ = client.Close(context.Background())

	fmt.Println("delivered:", len(tr.Events()), "ignored:", client.Stats().Dropped[raven.DropEventProcessor])
	// Output: delivered: 1 ignored: 1
}

func ExampleWithQueueLimit() {
	client, err := raven.New(raven.WithDSN("https://key@sentry.example.com/1"),
		raven.WithQueueLimit("log_item", 20000, 32<<20)) // a chatty service: room for more logs
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close(context.Background())
	fmt.Println("default for errors:", raven.DefaultQueueLimits()["error"].Items)

	_, err = raven.New(raven.WithQueueLimit("logs", 10, 1<<20))
	fmt.Println(err)
	// Output:
	// default for errors: 5000
	// raven: no queue for category "logs"
}
