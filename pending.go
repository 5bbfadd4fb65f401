package raven

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/ravenkit/raven/internal/builder"
	"github.com/ravenkit/raven/internal/pipeline"
	"github.com/ravenkit/raven/internal/stack"
	"github.com/ravenkit/raven/internal/telemetry"
)

// pending is a captured event not yet built: what the caller's goroutine
// recorded. The sender goroutines turn it into an Event.
type pending struct {
	builder.Capture
	pcsBuf [stack.InitialPCs]uintptr
	// item: an encoded item of a kind other than events (telemetry.go);
	// its kind is the pipeline class it is queued in.
	item telemetry.Item
	// site is 1 + the flood-control slot the capture holds, 0 for none.
	site int
	// settled is set by whoever accounts for the capture first: the
	// sender (it hands the event on or drops it) or Close (it abandons
	// the capture while user code still builds it).
	settled atomic.Bool
}

// settle claims the right to account for p: it reports true exactly once.
// A sender calls it before it counts p or hands it on; Close calls it for
// captures it abandons.
func (p *pending) settle() bool { return p.settled.CompareAndSwap(false, true) }

const pendingBaseBytes = 512

// pendingPool recycles capture records: a capture allocates only its
// event id in the steady state.
var pendingPool = sync.Pool{New: func() any { return new(pending) }}

// releasePending returns p to its pool; p must not
// be used afterwards.
func releasePending(p *pending) {
	*p = pending{}
	pendingPool.Put(p)
}

func (p *pending) estimate() int {
	n := pendingBaseBytes + len(p.Msg)
	if p.PCs != nil {
		n += 8 * len(p.PCs)
	}
	return n
}

// baseSenders is how many senders stay between bursts: enough for a
// steady trickle of events without starting goroutines, few enough that an
// idle client costs next to nothing.
const baseSenders = 2

// classError is the pipeline class of events; every kind of telemetry has
// a class (internal/telemetry), its index the kind.
const classError = int(telemetry.Error)

// newPipe makes the pipeline between capture and delivery: bounded by the
// client's queue options, drained by up to cfg.senders senders (baseSenders
// stay between bursts), each capture handled by processPending.
func (c *Client) newPipe() (*pipeline.Pipeline[*pending], error) {
	return pipeline.New(pipeline.Config[*pending]{
		Classes:      telemetry.Classes(c.cfg.limits),
		MinSenders:   min(baseSenders, c.cfg.senders),
		StartSenders: c.cfg.senders,
		MaxSenders:   c.maxSenders(),
		Block:        c.cfg.blockTimeout,
		Handle: func(ctx context.Context, class int, items []*pending) pipeline.Outcome {
			if class != classError {
				return c.sendItems(ctx, telemetry.Kind(class), items)
			}
			out := pipeline.Neutral
			for _, p := range items {
				c.sites.Give(p.site - 1)
				out = worse(out, c.processPending(ctx, p))
			}
			return out
		},
		Release: releasePending,
	})
}

// maxSenders is the pool's ceiling: WithSenders fixes it, the default
// adapts up to DefaultMaxSenders.
func (c *Client) maxSenders() int {
	if c.cfg.sendersSet {
		return c.cfg.senders
	}
	return max(c.cfg.senders, DefaultMaxSenders)
}

// worse combines the outcomes of a batch: congestion wins over health.
func worse(a, b pipeline.Outcome) pipeline.Outcome {
	switch {
	case a == pipeline.Congested || b == pipeline.Congested:
		return pipeline.Congested
	case a == pipeline.Healthy || b == pipeline.Healthy:
		return pipeline.Healthy
	}
	return pipeline.Neutral
}
