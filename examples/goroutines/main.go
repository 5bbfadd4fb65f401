// Command goroutines shows how a panic in a worker goroutine is reported
// instead of crashing the process, with the worker's own scope.
package main

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/raventest"
)

func resize(ctx context.Context, images []string, i int) {
	raven.ScopeFromContext(ctx).SetTag("image", images[i])
	_ = images[i+1][0] // a bug: reads past the end on the last image
}

func main() {
	srv, err := raventest.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer srv.Close()
	client, err := raven.New(raven.WithDSN(srv.DSN()))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ctx := client.WithScope(context.Background())
	raven.ScopeFromContext(ctx).SetTag("job", "thumbnails")

	images := []string{"a.png", "b.png", "c.png"}
	var wg sync.WaitGroup
	for i := range images {
		wg.Add(1)
		raven.Go(ctx, func(ctx context.Context) {
			defer wg.Done()
			resize(ctx, images, i)
		})
	}
	wg.Wait()

	fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := client.Close(fctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, ev := range srv.Events() {
		exc := ev.Exception.Values[len(ev.Exception.Values)-1]
		fmt.Printf("reported: %s (job=%s image=%s)\n", exc.Value, ev.Tags["job"], ev.Tags["image"])
	}
	fmt.Println("the process is still alive")
}
