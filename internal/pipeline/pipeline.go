// Package pipeline holds the bounded queues between capture and delivery,
// one per class of telemetry, and the sender goroutines that drain them.
//
// Each class (errors, check-ins, sessions, logs, spans, attachments,
// feedback, client reports) has its own buffer bounded by count and bytes,
// so a flood of one kind fills only its own buffer: it can never make an
// enqueue of another kind fail. Senders take work from the ready class of
// highest priority; a class that keeps losing is still served once every
// StarvationLimit batches, so low-priority kinds are slowed, never stopped.
// Classes with Batch > 1 hand their items over in batches, held back until
// the batch is full or its oldest item has waited Linger (or a flush asks).
//
// Goroutine ownership: senders start on the first Enqueue (a pipeline that
// is never used starts nothing). MinSenders stay until Close; more start
// while ready work outnumbers idle senders, up to a ceiling that adapts to
// the server: it grows by one after a round of healthy answers while a
// backlog waits, and halves when the handler reports congestion (429, 5xx,
// timeouts), never leaving [MinSenders, MaxSenders]. An extra sender exits
// when it finds no ready work or the pool is over its ceiling. A linger
// timer (time.AfterFunc) wakes senders when a partial batch is due. Close
// stops all of it and waits for the senders, at most until its context ends.
package pipeline

import (
	"context"
	"errors"
	"runtime"
	"sort"
	"sync"
	"time"
)

// Outcome is what the handler learnt about the server while sending.
type Outcome int

const (
	// Healthy: the server answered in time; the pool may grow.
	Healthy Outcome = iota
	// Congested: rate limited, 5xx or a timeout; the pool's ceiling halves.
	Congested
	// Neutral: nothing was learnt (nothing was sent, or a definite answer
	// that says nothing of load).
	Neutral
)

// Handler sends one batch (one item for unbatched classes). ctx is
// cancelled when Close stops the pipeline. items is reused once the
// handler returns: it must not be kept.
type Handler[T any] func(ctx context.Context, class int, items []T) Outcome

// Config configures a Pipeline.
type Config[T any] struct {
	Classes []Class
	// MinSenders stay for the pipeline's life once started; the pool never
	// exceeds MaxSenders; the adaptive ceiling starts at StartSenders.
	MinSenders, StartSenders, MaxSenders int
	// StarvationLimit is how many batches of higher-priority classes may be
	// taken in a row while a lower one is ready; 0 means
	// DefaultStarvationLimit.
	StarvationLimit int
	// Block > 0 makes a full Enqueue wait up to Block for room.
	Block time.Duration
	// Handle sends; it runs on the senders.
	Handle Handler[T]
	// Release, when set, is called with each item once the handler has
	// returned and nothing else refers to the item: not for items Close
	// handed to its drain as in flight.
	Release func(T)
}

// DefaultStarvationLimit is Config.StarvationLimit's default.
const DefaultStarvationLimit = 16

// Result is the outcome of Enqueue.
type Result int

const (
	// Enqueued: the item will reach the handler or Close's drain.
	Enqueued Result = iota
	// Full: the class's count or byte bound would be passed.
	Full
	// Closed: the pipeline is closed.
	Closed
)

// Waiting is how many items wait in class, read without the lock (a
// moment's value, for flood control).
func (p *Pipeline[T]) Waiting(class int) int { return int(p.classes[class].count.Load()) }

// Full reports, without taking the pipeline's lock, whether class holds
// as many items as it may: an Enqueue now would fail (unless the pipeline
// blocks for room). Capture paths check it first, so that a flood of
// captures that cannot be queued costs next to nothing and does not
// contend with the senders for the lock.
func (p *Pipeline[T]) Full(class int) bool {
	return p.block <= 0 && p.classes[class].full.Load()
}

// slot is one sender's work in flight.
type slot[T any] struct {
	used  bool
	class int
	items []T
	seq   uint64 // smallest sequence number in flight, 0 when idle
	// abandoned: Close handed items to its drain while the handler held
	// them; they are not released when the handler returns.
	abandoned bool
	// done holds the items of the batch just handled, released outside
	// the lock.
	done []T
}

// Pipeline is a set of bounded, prioritised queues drained by an elastic
// pool of senders. It is safe for concurrent use.
type Pipeline[T any] struct {
	handle  Handler[T]
	release func(T)
	order   []int // class indexes by priority
	starveN int
	block   time.Duration

	minSenders, maxSenders int

	mu       sync.Mutex
	cond     *sync.Cond
	classes  []queue[T]
	ready    int // items in unbatched classes: a cheap measure of ready work
	seq      uint64
	slots    []slot[T]
	live     int
	idle     int
	ceiling  int
	healthy  int // healthy outcomes since the ceiling last moved
	starve   int
	waiters  []*flushWait
	flushing int
	timer    *time.Timer
	timerAt  time.Time
	space    chan struct{}
	started  bool
	closed   bool
	allDone  chan struct{}
	ctx      context.Context
	cancel   context.CancelFunc
	now      func() time.Time
}

// New makes a pipeline; it starts no goroutine until the first Enqueue.
func New[T any](cfg Config[T]) (*Pipeline[T], error) {
	if len(cfg.Classes) == 0 || cfg.Handle == nil {
		return nil, errors.New("pipeline: no classes or no handler")
	}
	if cfg.MinSenders < 1 || cfg.MaxSenders < cfg.MinSenders {
		return nil, errors.New("pipeline: need 1 <= MinSenders <= MaxSenders")
	}
	p := &Pipeline[T]{handle: cfg.Handle, release: cfg.Release, block: cfg.Block, minSenders: cfg.MinSenders, maxSenders: cfg.MaxSenders,
		starveN: cfg.StarvationLimit, space: make(chan struct{}, 1), allDone: make(chan struct{}), now: time.Now}
	if p.starveN <= 0 {
		p.starveN = DefaultStarvationLimit
	}
	p.ceiling = min(max(cfg.StartSenders, cfg.MinSenders), cfg.MaxSenders)
	for i, c := range cfg.Classes {
		if c.MaxItems <= 0 || c.MaxBytes <= 0 {
			return nil, errors.New("pipeline: class " + c.Name + " needs positive MaxItems and MaxBytes")
		}
		if c.Batch > 1 && c.Linger <= 0 {
			return nil, errors.New("pipeline: batched class " + c.Name + " needs a Linger")
		}
		p.classes = append(p.classes, queue[T]{Class: c})
		p.order = append(p.order, i)
	}
	sort.SliceStable(p.order, func(a, b int) bool {
		return p.classes[p.order[a]].Priority < p.classes[p.order[b]].Priority
	})
	p.cond = sync.NewCond(&p.mu)
	p.ctx, p.cancel = context.WithCancel(context.Background())
	return p, nil
}

// Enqueue hands v, of an estimated size in bytes, to class without
// blocking (or waiting up to Config.Block for room).
func (p *Pipeline[T]) Enqueue(class int, v T, size int) Result {
	var deadline *time.Timer
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return Closed
		}
		q := &p.classes[class]
		if q.n < q.MaxItems && (q.bytes+size <= q.MaxBytes || q.n == 0) {
			break
		}
		p.mu.Unlock()
		if p.block <= 0 {
			return Full
		}
		if deadline == nil {
			deadline = time.NewTimer(p.block)
			defer deadline.Stop()
		}
		select {
		case <-p.space:
		case <-deadline.C:
			return Full
		}
	}
	if !p.started {
		p.startLocked()
	}
	q := &p.classes[class]
	p.seq++
	e := entry[T]{v: v, size: size, seq: p.seq}
	if q.batched() {
		e.at = p.now()
	}
	q.push(e)
	yield := q.HighWater > 0 && q.n > q.HighWater
	if !q.batched() {
		p.ready++
		if p.ready > p.idle && p.live < p.ceiling {
			// More ready than idle senders: every sender may be stuck on a
			// slow server. Starting a goroutine does not block.
			p.spawnLocked(true)
		}
		p.cond.Signal()
	} else if q.n >= q.Batch || (q.BatchBytes > 0 && q.bytes >= q.BatchBytes) {
		p.cond.Signal()
	} else if q.n == 1 {
		p.armTimerLocked(e.at.Add(q.Linger))
	}
	p.mu.Unlock()
	if yield {
		runtime.Gosched()
	}
	return Enqueued
}

func (p *Pipeline[T]) startLocked() {
	p.started = true
	p.slots = make([]slot[T], p.maxSenders)
	for range p.minSenders {
		p.spawnLocked(false)
	}
}

func (p *Pipeline[T]) spawnLocked(extra bool) {
	i := 0
	for p.slots[i].used {
		i++
	}
	p.slots[i].used = true
	p.live++
	go p.sender(i, extra)
}

// armTimerLocked makes sure senders wake by at.
func (p *Pipeline[T]) armTimerLocked(at time.Time) {
	if p.closed || (p.timer != nil && !p.timerAt.IsZero() && !at.Before(p.timerAt)) {
		return
	}
	d := max(at.Sub(p.now()), 0)
	p.timerAt = at
	if p.timer == nil {
		p.timer = time.AfterFunc(d, p.wake)
	} else {
		p.timer.Reset(d)
	}
}

func (p *Pipeline[T]) wake() {
	p.mu.Lock()
	p.timerAt = time.Time{}
	p.cond.Broadcast()
	p.mu.Unlock()
}

// readyLocked reports whether class i has work a sender may take now.
func (p *Pipeline[T]) readyLocked(i int, now time.Time) bool {
	q := &p.classes[i]
	if q.n == 0 {
		return false
	}
	if !q.batched() || p.closed || p.flushing > 0 || q.n >= q.Batch || (q.BatchBytes > 0 && q.bytes >= q.BatchBytes) {
		return true
	}
	return !now.Before(q.due())
}

// pickLocked chooses the class to serve, or -1.
func (p *Pipeline[T]) pickLocked(now time.Time) int {
	best, lowest := -1, -1
	for _, i := range p.order {
		if p.readyLocked(i, now) {
			if best < 0 {
				best = i
			}
			lowest = i
		}
	}
	if best != lowest {
		if p.starve >= p.starveN {
			p.starve = 0
			return lowest
		}
		p.starve++
	} else {
		p.starve = 0
	}
	return best
}

// nextDueLocked is the earliest time a lingering batch becomes ready.
func (p *Pipeline[T]) nextDueLocked() time.Time {
	var at time.Time
	for i := range p.classes {
		if d := p.classes[i].due(); !d.IsZero() && (at.IsZero() || d.Before(at)) {
			at = d
		}
	}
	return at
}

// takeLocked removes the next batch of class i into s.
func (p *Pipeline[T]) takeLocked(i int, s *slot[T]) {
	q := &p.classes[i]
	limit := max(q.Batch, 1)
	s.class, s.items, s.seq = i, s.items[:0], 0
	bytes := 0
	for q.n > 0 && len(s.items) < limit {
		if len(s.items) > 0 && q.BatchBytes > 0 && bytes+q.buf[q.head].size > q.BatchBytes {
			break
		}
		e := q.pop()
		bytes += e.size
		if s.seq == 0 {
			s.seq = e.seq
		}
		s.items = append(s.items, e.v)
	}
	if !q.batched() {
		p.ready -= len(s.items)
	}
}

func (p *Pipeline[T]) sender(i int, extra bool) {
	s := &p.slots[i]
	for {
		p.mu.Lock()
		class := -1
		for {
			now := p.now()
			if class = p.pickLocked(now); class >= 0 {
				break
			}
			if p.closed || extra {
				s.used = false
				s.items = nil
				p.live--
				if p.closed && p.live == 0 {
					close(p.allDone)
				}
				p.mu.Unlock()
				return
			}
			if at := p.nextDueLocked(); !at.IsZero() {
				p.armTimerLocked(at)
			}
			p.idle++
			p.cond.Wait()
			p.idle--
		}
		p.takeLocked(class, s)
		items := s.items
		p.mu.Unlock()
		select {
		case p.space <- struct{}{}:
		default:
		}

		out := p.handle(p.ctx, class, items)

		p.mu.Lock()
		if p.release != nil && !s.abandoned {
			s.done = append(s.done[:0], s.items...)
		}
		s.abandoned = false
		clear(s.items)
		s.items, s.seq = s.items[:0], 0
		p.adaptLocked(out)
		p.notifyLocked()
		over := extra && p.live > p.ceiling
		if over {
			s.used = false
			s.items = nil
			p.live--
			if p.closed && p.live == 0 {
				close(p.allDone)
			}
		}
		done := s.done
		if over {
			s.done = nil // the slot may go to a new sender at once
		}
		p.mu.Unlock()
		// Released outside the lock: a release may be costly (clearing a
		// large item), and captures enqueue under the lock. Only this
		// sender touches done.
		for _, v := range done {
			p.release(v)
		}
		clear(done)
		if over {
			return
		}
		s.done = done[:0]
	}
}

// adaptLocked moves the sender ceiling: one more after a round of healthy
// answers while ready work waits, half on congestion.
func (p *Pipeline[T]) adaptLocked(out Outcome) {
	switch out {
	case Healthy:
		if p.ready == 0 {
			return
		}
		if p.healthy++; p.healthy >= p.ceiling && p.ceiling < p.maxSenders {
			p.ceiling++
			p.healthy = 0
			if p.ready > p.idle && p.live < p.ceiling && !p.closed {
				p.spawnLocked(true)
			}
		}
	case Congested:
		p.ceiling = max(p.minSenders, p.ceiling/2)
		p.healthy = 0
	}
}

// ClassLen is how many items wait in class (not counting those in flight).
func (p *Pipeline[T]) ClassLen(class int) (items, bytes int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.classes[class].n, p.classes[class].bytes
}

// Len is how many items are queued or in flight, and how many senders run.
func (p *Pipeline[T]) Len() (items, senders int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range p.classes {
		items += p.classes[i].n
	}
	for i := range p.slots {
		items += len(p.slots[i].items)
	}
	return items, p.live
}

// Ceiling is the sender pool's current adaptive ceiling.
func (p *Pipeline[T]) Ceiling() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ceiling
}
