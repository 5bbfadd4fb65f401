// Command goroutines shows how a panic in a worker goroutine is reported
// instead of crashing the process, with the worker's own scope.
//
// It sends to an in-process receiver (or SENTRY_DSN when set), prints what
// was sent and exits.
package main

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/internal/demo"
)

func resize(ctx context.Context, images []string, i int) {
	raven.ScopeFromContext(ctx).SetTag("image", images[i])
	_ = images[i+1][0] // a bug: reads past the end on the last image
}

func main() { demo.Main(run) }

func run(ctx context.Context, out io.Writer, target *demo.Target) error {
	client, err := raven.New(raven.WithDSN(target.DSN))
	if err != nil {
		return err
	}
	ctx = client.WithScope(ctx)
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

	err = target.Finish(ctx, out, client.Close, func(ev *raven.Event) string {
		return fmt.Sprintf("reported: %s (job=%s image=%s)", demo.Value(ev), ev.Tags["job"], ev.Tags["image"])
	})
	fmt.Fprintln(out, "the process is still alive")
	return err
}
