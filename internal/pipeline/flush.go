package pipeline

import (
	"context"
)

type flushWait struct {
	target uint64
	done   chan struct{}
}

// oldestLocked is the smallest sequence number not finished, or p.seq+1.
func (p *Pipeline[T]) oldestLocked() uint64 {
	oldest := p.seq + 1
	for i := range p.classes {
		if q := &p.classes[i]; q.n > 0 && q.buf[q.head].seq < oldest {
			oldest = q.buf[q.head].seq
		}
	}
	for i := range p.slots {
		if s := p.slots[i].seq; s != 0 && s < oldest {
			oldest = s
		}
	}
	return oldest
}

func (p *Pipeline[T]) notifyLocked() {
	if len(p.waiters) == 0 {
		return
	}
	oldest := p.oldestLocked()
	kept := p.waiters[:0]
	for _, w := range p.waiters {
		if w.target < oldest {
			close(w.done)
			p.flushing--
		} else {
			kept = append(kept, w)
		}
	}
	clear(p.waiters[len(kept):])
	p.waiters = kept
}

// Flush waits until every item enqueued before the call has been handled
// (or drained by Close), or ctx ends. Partial batches are sent at once
// while a Flush waits.
func (p *Pipeline[T]) Flush(ctx context.Context) error {
	p.mu.Lock()
	w := &flushWait{target: p.seq, done: make(chan struct{})}
	if w.target < p.oldestLocked() {
		p.mu.Unlock()
		return nil
	}
	p.waiters = append(p.waiters, w)
	p.flushing++
	p.cond.Broadcast()
	p.mu.Unlock()
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		p.mu.Lock()
		for i, x := range p.waiters {
			if x == w {
				p.waiters = append(p.waiters[:i], p.waiters[i+1:]...)
				p.flushing--
				break
			}
		}
		p.mu.Unlock()
		return ctx.Err()
	}
}

// Close stops the pipeline (call Flush first to let the queues drain):
// items still queued go to drain with inFlight false; senders are told to
// stop (their context is cancelled) and waited for until ctx ends. If some
// are still inside the handler then, their items go to drain with
// inFlight true (and are never released), Close returns ctx.Err() without
// waiting longer, and those senders exit when the handler returns: the
// caller decides, exactly once, what counts for an item both drained and
// handled. Close is not safe to call twice.
func (p *Pipeline[T]) Close(ctx context.Context, drain func(class int, v T, inFlight bool)) error {
	var err error
	p.mu.Lock()
	p.closed = true
	type left struct {
		class int
		v     T
	}
	var rest []left
	for i := range p.classes {
		q := &p.classes[i]
		for q.n > 0 {
			rest = append(rest, left{i, q.pop().v})
		}
	}
	p.ready = 0
	if p.timer != nil {
		p.timer.Stop()
	}
	if !p.started || p.live == 0 {
		p.started = true
		select {
		case <-p.allDone:
		default:
			close(p.allDone)
		}
	}
	p.cond.Broadcast()
	p.mu.Unlock()
	p.cancel()
	for _, l := range rest {
		drain(l.class, l.v, false)
	}
	select {
	case <-p.allDone:
	case <-ctx.Done():
		select {
		case <-p.allDone:
		default:
			p.mu.Lock()
			var stuck []left
			for i := range p.slots {
				if len(p.slots[i].items) > 0 {
					p.slots[i].abandoned = true
				}
				for _, v := range p.slots[i].items {
					stuck = append(stuck, left{p.slots[i].class, v})
				}
			}
			p.mu.Unlock()
			for _, l := range stuck {
				drain(l.class, l.v, true)
			}
			err = ctx.Err()
		}
	}
	p.mu.Lock()
	p.notifyLocked()
	p.mu.Unlock()
	return err
}
