package raven_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/raventest"
)

// ExampleInit sets up the default client once, at the start of main, and
// closes it before main returns. A raventest receiver stands in for the
// server here; a program leaves WithDSN out and sets SENTRY_DSN instead.
func ExampleInit() {
	srv, err := raventest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	if err := raven.Init(
		raven.WithDSN(srv.DSN()),
		raven.WithRelease("shop@1.4.2"),
		raven.WithEnvironment("production"),
	); err != nil {
		log.Fatal(err) // an invalid DSN or option
	}
	defer raven.SetDefault(nil)
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = raven.Close(ctx) // flush queued events, stop the senders
	}()

	raven.CaptureException(errors.New("payment provider unreachable"))

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	events, err := srv.WaitForEvents(ctx, 1)
	if err != nil {
		log.Fatal(err)
	}
	ev := events[0]
	fmt.Println(ev.Release, ev.Environment, ev.Exception.Values[0].Value)
	// Output: shop@1.4.2 production payment provider unreachable
}

// ExampleCaptureException reports an error with the default client. The
// error's chain becomes one exception per link.
func ExampleCaptureException() {
	tr := raventest.NewTransport()
	client, err := raven.New(raven.WithDSN("https://key@sentry.example.com/1"), raven.WithTransport(tr))
	if err != nil {
		log.Fatal(err)
	}
	raven.SetDefault(client)
	defer raven.SetDefault(nil)

	errCardDeclined := errors.New("card declined")
	id := raven.CaptureException(fmt.Errorf("checkout 42: %w", errCardDeclined))
	if err := raven.Flush(context.Background()); err != nil {
		log.Fatal(err)
	}
	_ = raven.Close(context.Background())

	ev := tr.Events()[0]
	fmt.Println(ev.EventID == id, ev.Level)
	for _, e := range ev.Exception.Values {
		fmt.Println(e.Value)
	}
	// Output:
	// true error
	// card declined
	// checkout 42: card declined
}

// ExampleRecover reports a panic with the default client and lets the
// goroutine go on.
func ExampleRecover() {
	tr := raventest.NewTransport()
	client, err := raven.New(raven.WithDSN("https://key@sentry.example.com/1"), raven.WithTransport(tr))
	if err != nil {
		log.Fatal(err)
	}
	raven.SetDefault(client)
	defer raven.SetDefault(nil)

	func() {
		defer raven.Recover()
		var orders []string
		fmt.Println(orders[3])
	}()
	fmt.Println("still running")
	_ = raven.Close(context.Background())

	exc := tr.Events()[0].Exception.Values[0]
	fmt.Println(exc.Mechanism.Type, *exc.Mechanism.Handled)
	fmt.Println(exc.Value)
	// Output:
	// still running
	// panic false
	// runtime error: index out of range [3] with length 0
}
