package raven

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ravenkit/raven/internal/stack"
)

// pending is a captured event not yet built: what the caller's goroutine
// recorded. The sender goroutines turn it into an Event.
type pending struct {
	seq       uint64
	id        EventID
	ts        time.Time
	level     Level
	err       error
	msg       string
	panicVal  any
	panicked  bool
	handled   bool
	mechanism string
	pcs       []uintptr // capture-site or panic stack, innermost first
	pcsBuf    [stack.InitialPCs]uintptr
	scope     *scopeData
	request   *Request // built from the scope's RequestSource at capture
	event     *Event   // CaptureEvent
	size      int
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
	n := pendingBaseBytes + len(p.msg)
	if p.pcs != nil {
		n += 8 * len(p.pcs)
	}
	return n
}

// pipeline is the bounded queue between capture and delivery, and the
// sender goroutines that drain it.
//
// Ownership: the pipeline starts its senders on the first enqueue (a client
// that captures nothing starts no goroutine) and stops them in close, which
// waits for them. Idle senders sleep on a condition variable and never
// wake until work or close arrives.
//
// The pool is elastic. Up to baseSenders goroutines stay for the
// pipeline's life; when an enqueue leaves more events waiting than there
// are idle senders to take them, it starts an extra sender, up to
// maxSenders in all. An extra sender exits as soon as it finds the queue
// empty. Against a slow server a backlog is thus sent maxSenders at a
// time, while a quiet client keeps only its base senders, asleep.
type pipeline struct {
	process func(ctx context.Context, p *pending) // builds and sends one event
	release func(p *pending)                      // after process returns

	maxEvents, maxBytes int
	senders, maxSenders int
	block               time.Duration

	mu       sync.Mutex
	cond     *sync.Cond // senders wait here for work
	queue    []*pending // FIFO ring
	head, n  int
	bytes    int
	seq      uint64        // last sequence number handed out
	inflight []uint64      // per sender slot: seq being processed, 0 when idle
	working  []*pending    // per sender slot: the capture being processed
	slotUsed []bool        // per sender slot: a goroutine owns it
	live     int           // sender goroutines running
	idle     int           // senders waiting for work
	waiters  []*flushWait  // Flush calls waiting
	space    chan struct{} // signalled when room appears (blocking mode)
	started  bool
	closed   bool
	wg       sync.WaitGroup
	ctx      context.Context
	cancel   context.CancelFunc
}

type flushWait struct {
	target uint64
	done   chan struct{}
}

// baseSenders is how many senders stay between bursts: enough for a
// steady trickle of events without starting goroutines, few enough that an
// idle client costs next to nothing.
const baseSenders = 2

// newPipeline makes a pipeline sending at most maxSenders events at once.
// process must not keep p; the pipeline releases it once process returns.
func newPipeline(maxEvents, maxBytes, maxSenders int, block time.Duration, process func(context.Context, *pending)) *pipeline {
	p := &pipeline{process: process, release: releasePending, maxEvents: maxEvents, maxBytes: maxBytes, senders: min(baseSenders, maxSenders),
		maxSenders: maxSenders, block: block, space: make(chan struct{}, 1)}
	p.cond = sync.NewCond(&p.mu)
	p.ctx, p.cancel = context.WithCancel(context.Background())
	return p
}

// enqueueResult tells why an enqueue failed.
type enqueueResult int

const (
	enqueued enqueueResult = iota
	enqueueFull
	enqueueClosed
)

// enqueue hands p to the senders without blocking (or blocking up to the
// configured timeout in blocking mode).
func (q *pipeline) enqueue(p *pending) enqueueResult {
	p.size = p.estimate()
	var deadline *time.Timer
	for {
		q.mu.Lock()
		if q.closed {
			q.mu.Unlock()
			return enqueueClosed
		}
		if q.n < q.maxEvents && (q.bytes+p.size <= q.maxBytes || q.n == 0) {
			break
		}
		q.mu.Unlock()
		if q.block <= 0 {
			return enqueueFull
		}
		if deadline == nil {
			deadline = time.NewTimer(q.block)
			defer deadline.Stop()
		}
		select {
		case <-q.space:
		case <-deadline.C:
			return enqueueFull
		}
	}
	if !q.started {
		q.start()
	}
	if q.n == len(q.queue) {
		q.grow()
	}
	q.seq++
	p.seq = q.seq
	q.queue[(q.head+q.n)%len(q.queue)] = p
	q.n++
	q.bytes += p.size
	if q.n > q.idle && q.live < q.maxSenders {
		// More wait than idle senders can take: every sender may be stuck
		// on a slow server, so only here can the pool grow. Starting a
		// goroutine does not block and happens at most
		// maxSenders-baseSenders times a burst; a capture costs no more on
		// average (docs/PERFORMANCE.md, scenario 2, caller side).
		q.spawnLocked(true)
	}
	q.cond.Signal()
	q.mu.Unlock()
	return enqueued
}

func (q *pipeline) grow() {
	size := max(16, 2*len(q.queue))
	size = min(size, q.maxEvents)
	nq := make([]*pending, size)
	for i := 0; i < q.n; i++ {
		nq[i] = q.queue[(q.head+i)%len(q.queue)]
	}
	q.queue, q.head = nq, 0
}

// start launches the base senders; q.mu is held.
func (q *pipeline) start() {
	q.started = true
	q.inflight = make([]uint64, q.maxSenders)
	q.working = make([]*pending, q.maxSenders)
	q.slotUsed = make([]bool, q.maxSenders)
	for range q.senders {
		q.spawnLocked(false)
	}
}

// spawnLocked starts a sender in a free slot; q.mu is held and the
// pipeline is not closed.
func (q *pipeline) spawnLocked(extra bool) {
	slot := 0
	for q.slotUsed[slot] {
		slot++
	}
	q.slotUsed[slot] = true
	q.live++
	q.wg.Add(1)
	go q.sender(slot, extra)
}

// sender processes queued events until the pipeline closes, or, for an
// extra sender, until the queue is empty.
func (q *pipeline) sender(slot int, extra bool) {
	defer q.wg.Done()
	for {
		q.mu.Lock()
		for q.n == 0 && !q.closed && !extra {
			q.idle++
			q.cond.Wait()
			q.idle--
		}
		if q.n == 0 {
			q.slotUsed[slot] = false
			q.live--
			q.mu.Unlock()
			return
		}
		p := q.queue[q.head]
		q.queue[q.head] = nil
		q.head = (q.head + 1) % len(q.queue)
		q.n--
		q.bytes -= p.size
		q.inflight[slot] = p.seq
		q.working[slot] = p
		q.mu.Unlock()
		select {
		case q.space <- struct{}{}:
		default:
		}

		q.process(q.ctx, p)

		q.mu.Lock()
		q.inflight[slot] = 0
		q.working[slot] = nil
		q.notifyLocked()
		q.mu.Unlock()
		q.release(p) // nobody else holds p now (close reads it under q.mu)
	}
}

// oldestLocked is the smallest sequence number not yet finished, or
// q.seq+1 when everything is finished.
func (q *pipeline) oldestLocked() uint64 {
	oldest := q.seq + 1
	if q.n > 0 {
		oldest = q.queue[q.head].seq
	}
	for _, s := range q.inflight {
		if s != 0 && s < oldest {
			oldest = s
		}
	}
	return oldest
}

func (q *pipeline) notifyLocked() {
	if len(q.waiters) == 0 {
		return
	}
	oldest := q.oldestLocked()
	kept := q.waiters[:0]
	for _, w := range q.waiters {
		if w.target < oldest {
			close(w.done)
		} else {
			kept = append(kept, w)
		}
	}
	for i := len(kept); i < len(q.waiters); i++ {
		q.waiters[i] = nil
	}
	q.waiters = kept
}

// flush waits until every event enqueued before the call is finished
// (delivered or dropped and counted), or ctx ends.
func (q *pipeline) flush(ctx context.Context) error {
	q.mu.Lock()
	w := &flushWait{target: q.seq, done: make(chan struct{})}
	if w.target < q.oldestLocked() {
		q.mu.Unlock()
		return nil
	}
	q.waiters = append(q.waiters, w)
	q.mu.Unlock()
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		q.mu.Lock()
		for i, x := range q.waiters {
			if x == w {
				q.waiters = append(q.waiters[:i], q.waiters[i+1:]...)
				break
			}
		}
		q.mu.Unlock()
		return ctx.Err()
	}
}

// close stops the senders (the caller flushed first): work still queued
// is returned (the caller accounts for it), in-flight sends are
// cancelled, and close waits for every sender to return until stopCtx
// ends. A sender still busy then is stuck in user code (a hook, a
// MarshalJSON, a transport that ignores its context): close calls abandon,
// under the pipeline's lock, with the capture it works on, and returns
// without it. The sender finishes on its own when that code returns.
func (q *pipeline) close(stopCtx context.Context, abandon func(*pending)) (left []*pending, err error) {
	q.mu.Lock()
	q.closed = true
	for q.n > 0 {
		left = append(left, q.queue[q.head])
		q.queue[q.head] = nil
		q.head = (q.head + 1) % len(q.queue)
		q.n--
	}
	q.bytes = 0
	q.cond.Broadcast()
	q.mu.Unlock()
	q.cancel()
	stopped := make(chan struct{})
	go func() {
		q.wg.Wait()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-stopCtx.Done():
		q.mu.Lock()
		for _, p := range q.working {
			if p != nil {
				abandon(p)
			}
		}
		q.mu.Unlock()
		err = stopCtx.Err()
	}
	q.mu.Lock()
	q.notifyLocked()
	q.mu.Unlock()
	return left, err
}

// pending is how many events are queued or being processed, and how many
// senders run.
func (q *pipeline) pending() (events, senders int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := q.n
	for _, s := range q.inflight {
		if s != 0 {
			n++
		}
	}
	return n, q.live
}
