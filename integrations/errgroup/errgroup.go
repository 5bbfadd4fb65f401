// Package ravenerrgroup is golang.org/x/sync/errgroup with error
// reporting: a panic in a group goroutine is reported and returned by Wait
// as an error instead of crashing the process, and Wait's error can be
// captured with the group's scope.
//
//	g, ctx := ravenerrgroup.WithContext(ctx)
//	g.Go(func() error { return fetch(ctx, a) })
//	g.Go(func() error { return fetch(ctx, b) })
//	if err := g.CaptureWait(); err != nil { ... } // reported with the group's scope
package ravenerrgroup

import (
	"context"
	"fmt"

	"github.com/ravenkit/raven"
	"golang.org/x/sync/errgroup"
)

// PanicError is returned by Wait when a group goroutine panicked; the
// panic has already been reported.
type PanicError struct {
	Value   any
	EventID raven.EventID
}

// Error describes the panic.
func (e *PanicError) Error() string {
	return fmt.Sprintf("ravenerrgroup: goroutine panicked: %v", e.Value)
}

// Unwrap returns the panic value when it is an error.
func (e *PanicError) Unwrap() error {
	if err, ok := e.Value.(error); ok {
		return err
	}
	return nil
}

// Group is an errgroup.Group whose goroutines report their panics. Create
// one with WithContext or New.
type Group struct {
	g   *errgroup.Group
	ctx context.Context // carries the group's scope
}

// New returns a group with its own scope, forked from ctx's, and no
// cancellation.
func New(ctx context.Context) *Group {
	if ctx == nil {
		ctx = context.Background()
	}
	return &Group{g: new(errgroup.Group), ctx: raven.WithScope(ctx)}
}

// WithContext returns a group with its own scope (forked from ctx's) and
// a context, derived from ctx, that carries the scope and is cancelled when
// a goroutine fails or Wait returns.
func WithContext(ctx context.Context) (*Group, context.Context) {
	ctx = raven.WithScope(ctx)
	eg, ectx := errgroup.WithContext(ctx)
	return &Group{g: eg, ctx: ectx}, ectx
}

// Go runs f in a new goroutine; a panic in f is reported and becomes the
// error f returns.
func (g *Group) Go(f func() error) { g.g.Go(g.wrap(f)) }

// TryGo is Go when the group's limit allows another goroutine.
func (g *Group) TryGo(f func() error) bool { return g.g.TryGo(g.wrap(f)) }

// SetLimit bounds the goroutines active at once (see errgroup.SetLimit).
func (g *Group) SetLimit(n int) { g.g.SetLimit(n) }

// Wait waits for every goroutine and returns the first error.
func (g *Group) Wait() error { return g.g.Wait() }

// CaptureWait is Wait, and reports its error (unless it is a reported
// panic) with the group's scope.
func (g *Group) CaptureWait() error {
	err := g.g.Wait()
	if _, isPanic := err.(*PanicError); err != nil && !isPanic {
		raven.CaptureExceptionContext(g.ctx, err)
	}
	return err
}

func (g *Group) wrap(f func() error) func() error {
	return func() (err error) {
		defer func() {
			if v := recover(); v != nil {
				id := raven.CapturePanic(g.ctx, v)
				err = &PanicError{Value: v, EventID: id}
			}
		}()
		return f()
	}
}
