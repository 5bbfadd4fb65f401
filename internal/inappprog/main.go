// Command inappprog captures one error and prints the event JSON to
// stdout. Tests build it with and without -trimpath to check frame paths
// and in_app marking.
package main

import (
	"context"
	"fmt"
	"os"
	"sync"

	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/internal/inappprog/sub"
)

type stdoutTransport struct{ mu sync.Mutex }

func (t *stdoutTransport) Send(_ context.Context, envs []*raven.Envelope) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, e := range envs {
		for _, it := range e.Items {
			if it.Type == raven.ItemEvent {
				fmt.Println(string(it.Payload))
			}
		}
	}
	return nil
}
func (t *stdoutTransport) Flush(context.Context) error { return nil }
func (t *stdoutTransport) Close(context.Context) error { return nil }

func main() {
	c, err := raven.New(raven.WithDSN("https://k@localhost/1"), raven.WithTransport(&stdoutTransport{}))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sub.Do(func() { c.CaptureException(fmt.Errorf("wrapped: %w", os.ErrNotExist)) })
	if err := c.Close(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
