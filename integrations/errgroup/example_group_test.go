package ravenerrgroup_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/ravenkit/raven"
	ravenerrgroup "github.com/ravenkit/raven/integrations/errgroup"
	"github.com/ravenkit/raven/raventest"
)

// ExampleWithContext runs goroutines whose panics are reported and returned
// by Wait instead of crashing the process.
func ExampleWithContext() {
	tr := raventest.NewTransport()
	client, err := raven.New(raven.WithDSN("https://key@sentry.example.com/1"), raven.WithTransport(tr))
	if err != nil {
		log.Fatal(err)
	}
	ctx := client.WithScope(context.Background())
	raven.ScopeFromContext(ctx).SetTag("job", "nightly-export")

	g, ctx := ravenerrgroup.WithContext(ctx)
	g.Go(func() error {
		var prices map[string]int
		prices["EUR"] = 1 //lint:ignore SA5000 the bug this example reports
		return nil
	})
	g.Go(func() error {
		<-ctx.Done() // cancelled when the other goroutine fails
		return nil
	})
	err = g.Wait()
	_ = client.Close(context.Background())

	var pe *ravenerrgroup.PanicError
	fmt.Println(errors.As(err, &pe), pe.EventID == tr.Events()[0].EventID)
	ev := tr.Events()[0]
	fmt.Println(ev.Tags["job"], ev.Exception.Values[0].Value)
	// Output:
	// true true
	// nightly-export assignment to entry in nil map
}

// ExampleGroup_CaptureWait reports the error Wait returns with the group's
// scope.
func ExampleGroup_CaptureWait() {
	tr := raventest.NewTransport()
	client, err := raven.New(raven.WithDSN("https://key@sentry.example.com/1"), raven.WithTransport(tr))
	if err != nil {
		log.Fatal(err)
	}
	g := ravenerrgroup.New(client.WithScope(context.Background()))
	for _, shard := range []string{"eu", "us"} {
		g.Go(func() error {
			if shard == "us" {
				return fmt.Errorf("shard %s: %w", shard, errors.New("connection refused"))
			}
			return nil
		})
	}
	fmt.Println(g.CaptureWait())
	_ = client.Close(context.Background())

	fmt.Println(len(tr.Events()), "event")
	// Output:
	// shard us: connection refused
	// 1 event
}
