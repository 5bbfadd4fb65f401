package raventest

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/ravenkit/raven"
)

// Transport is a raven.Transport that keeps every envelope in memory, for
// unit tests that need no HTTP. It is safe for concurrent use.
type Transport struct {
	mu        sync.Mutex
	changed   chan struct{}
	envelopes []*raven.Envelope
	events    []*raven.Event
	closed    bool
}

// NewTransport returns an empty in-memory transport.
func NewTransport() *Transport { return &Transport{changed: make(chan struct{})} }

// Send records the envelopes. Event payloads that are not valid JSON are an
// error, as they would be for a server.
func (t *Transport) Send(ctx context.Context, envs []*raven.Envelope) error {
	var events []*raven.Event
	for _, env := range envs {
		for _, it := range env.Items {
			if it.Type != raven.ItemEvent {
				continue
			}
			var ev raven.Event
			if err := json.Unmarshal(it.Payload, &ev); err != nil {
				return fmt.Errorf("raventest: event item: %w", err)
			}
			events = append(events, &ev)
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return ErrClosed
	}
	t.envelopes = append(t.envelopes, envs...)
	t.events = append(t.events, events...)
	close(t.changed)
	t.changed = make(chan struct{})
	return nil
}

// Flush has nothing to wait for.
func (t *Transport) Flush(ctx context.Context) error { return nil }

// Close makes later sends fail with ErrClosed.
func (t *Transport) Close(ctx context.Context) error {
	t.mu.Lock()
	t.closed = true
	t.mu.Unlock()
	return nil
}

// Events returns the events sent, in order.
func (t *Transport) Events() []*raven.Event {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]*raven.Event(nil), t.events...)
}

// Envelopes returns the envelopes sent, in order.
func (t *Transport) Envelopes() []*raven.Envelope {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]*raven.Envelope(nil), t.envelopes...)
}

// WaitForEvents waits until at least n events were sent, or returns
// ctx.Err() with those sent so far.
func (t *Transport) WaitForEvents(ctx context.Context, n int) ([]*raven.Event, error) {
	for {
		t.mu.Lock()
		got, ch := len(t.events), t.changed
		t.mu.Unlock()
		if got >= n {
			return t.Events(), nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return t.Events(), fmt.Errorf("raventest: %d of %d events: %w", got, n, ctx.Err())
		}
	}
}
