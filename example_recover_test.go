package raven_test

import (
	"context"
	"fmt"

	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/raventest"
)

func ExampleClient_Recover() {
	tr := raventest.NewTransport()
	client, _ := raven.New(raven.WithDSN("https://key@sentry.example.com/1"), raven.WithTransport(tr))

	func() {
		defer client.Recover() // reports, and the goroutine goes on
		var m map[string]int
		m["x"] = 1
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

	done := make(chan struct{})
	raven.Go(client.WithScope(context.Background()), func(ctx context.Context) {
		defer close(done)
		panic("worker failed")
	})
	<-done
	_ = client.Close(context.Background())
	fmt.Println(tr.Events()[0].Exception.Values[0].Value)
	// Output: worker failed
}
