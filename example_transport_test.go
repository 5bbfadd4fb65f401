package raven_test

import (
	"context"
	"fmt"
	"sync"

	"github.com/ravenkit/raven"
)

// countingTransport is a minimal Transport: it counts event items.
type countingTransport struct {
	mu     sync.Mutex
	events int
}

func (t *countingTransport) Send(ctx context.Context, envs []*raven.Envelope) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, env := range envs {
		t.events += env.EventCount()
	}
	return nil
}

func (t *countingTransport) Flush(ctx context.Context) error { return nil }
func (t *countingTransport) Close(ctx context.Context) error { return nil }

func ExampleTransport() {
	tr := &countingTransport{}
	client, _ := raven.New(raven.WithTransport(tr))
	client.CaptureMessage("one")
	client.CaptureMessage("two")
	_ = client.Close(context.Background())
	fmt.Println(tr.events, "events")
	// Output: 2 events
}
