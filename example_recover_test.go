package raven_test

import (
	"context"
	"fmt"
	"time"

	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/raventest"
)

func ExampleClient_Recover() {
	tr := raventest.NewTransport()
	client, _ := raven.New(raven.WithDSN("https://key@sentry.example.com/1"), raven.WithTransport(tr))

	func() {
		defer client.Recover() // reports, and the goroutine goes on
		var m map[string]int
		m["x"] = 1 //lint:ignore SA5000 the bug this example recovers from
	}()
	_ = client.Close(context.Background())

	ev := tr.Events()[0]
	exc := ev.Exception.Values[0]
	fmt.Println(ev.Level, exc.Mechanism.Type, *exc.Mechanism.Handled, exc.Value)
	// Output: fatal panic false assignment to entry in nil map
}

func ExampleGo() {
	tr := raventest.NewTransport()
	client, _ := raven.New(raven.WithDSN("https://key@sentry.example.com/1"), raven.WithTransport(tr))

	raven.Go(client.WithScope(context.Background()), func(ctx context.Context) {
		panic("worker failed")
	})
	// The panic is reported after f returns, as Go's goroutine unwinds:
	// wait for the event rather than for f.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	events, err := tr.WaitForEvents(ctx, 1)
	_ = client.Close(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(events[0].Exception.Values[0].Value)
	// Output: worker failed
}
