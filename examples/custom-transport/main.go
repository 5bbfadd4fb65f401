// Command custom-transport shows a Transport of your own: this one writes
// every event as one JSON line to a file (or stdout), for systems that ship
// logs rather than talk to a Sentry server.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/ravenkit/raven"
)

// jsonLines writes each event payload on its own line.
type jsonLines struct {
	mu sync.Mutex
	w  io.Writer
}

// Send is called from raven's sender goroutines, possibly concurrently.
func (t *jsonLines) Send(ctx context.Context, envs []*raven.Envelope) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, env := range envs {
		for _, it := range env.Items {
			if it.Type != raven.ItemEvent {
				continue // client reports: counts of dropped events
			}
			if _, err := fmt.Fprintf(t.w, "%s\n", it.Payload); err != nil {
				// tell raven why, so the drop is counted with a reason
				return &raven.DropError{Reason: raven.DropSendError, Err: err}
			}
		}
	}
	return nil
}

func (t *jsonLines) Flush(ctx context.Context) error { return nil }
func (t *jsonLines) Close(ctx context.Context) error { return nil }

func main() {
	var out io.Writer = os.Stdout
	if len(os.Args) > 1 {
		f, err := os.Create(os.Args[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer f.Close()
		out = f
	}
	client, err := raven.New(raven.WithTransport(&jsonLines{w: out}), raven.WithRelease("custom@1"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	client.CaptureException(fmt.Errorf("sync inventory: %w", errors.New("upstream timeout")))
	client.CaptureMessage("inventory sync finished with errors")
	if err := client.Close(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	st := client.Stats()
	fmt.Fprintf(os.Stderr, "delivered %d of %d events\n", st.Delivered, st.Captured)
}
