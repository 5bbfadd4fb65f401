// Package outbox writes events to disk ahead of their delivery and sends
// them from there: a writer batches envelopes into spool files, live sends
// go out from the files, and a re-send goroutine retries what the server
// could not take, with backoff, in this process or the next one. It
// accounts for every event through a Ledger.
package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ravenkit/raven/internal/delivery"
	"github.com/ravenkit/raven/internal/protocol"
	"github.com/ravenkit/raven/internal/spool"
)

// Config is where the outbox keeps its files and how it bounds and
// retries them.
type Config struct {
	Dir                    string
	MaxFiles               int
	MaxBytes               int64
	MinBackoff, MaxBackoff time.Duration
}

// Ledger is how the outbox accounts for the events it holds (the
// client's counters, see Stats).
type Ledger interface {
	// Spooled: n events of this process were written to the outbox.
	Spooled(n int)
	// Restored: n events read from a file another process wrote; they
	// are stored now.
	Restored(n int)
	// StoredDelivered: n stored events were delivered.
	StoredDelivered(n int)
	// StoredDropped: stored events were dropped.
	StoredDropped(d delivery.Drop, reported bool)
	// Delivered, Dropped: events sent without being stored (the write
	// failed).
	Delivered(n int)
	Dropped(d delivery.Drop, reported bool)
	// StoredTakenOver: n stored events were taken by another process.
	StoredTakenOver(n int)
	// SetAside: a file was not sent.
	SetAside(r delivery.SetAsideReason)
}

// Outbox writes events ahead of their delivery and re-sends what is
// stored. It also wraps the client's transport, passing other envelopes
// (client reports) through.
//
// Ownership: newOutbox starts the writer (writeLoop), the re-send
// goroutine (run) and the syncer (syncLoop); the writer starts a goroutine
// per file it sends live, which sends up to cap(sem) envelopes at once.
// Close waits for all of them.
type Outbox struct {
	cfg   Config
	sp    *spool.Dir
	inner delivery.Transport
	acct  Ledger
	log   *slog.Logger
	dsn   *protocol.DSN // only envelopes written for this protocol.DSN are sent

	mu      sync.Mutex
	known   map[string]int  // files this outbox holds (wrote or restored): their events
	held    map[string]bool // files in use in this process
	foreign map[string]bool // files already counted as set aside for another protocol.DSN
	files   int             // files in the directory, as last counted plus written since
	bytes   int64
	// unsynced are files released since syncLoop last ran.
	unsynced []string

	// down is set when a send failed in a way that may pass (network,
	// 5xx): new events are then only written, and run retries with
	// backoff; a successful send clears it.
	down atomic.Bool
	// mayHave is false once a pass found nothing to send and nothing was
	// stored since: live deliveries then do not wake run.
	mayHave atomic.Bool
	closing atomic.Bool

	// The write-ahead queue (outbox_write.go), drained by writeLoop.
	wmu       sync.Mutex
	wcond     *sync.Cond // signalled when wq or wclosed change
	wq        []walItem
	wclosed   bool
	writeDone chan struct{}

	sem      chan struct{} // live sends in progress
	active   activeSet     // envelopes queued, being written or sent live, for Flush
	passing  activeSet     // a pass of run over the directory, for Close
	syncKick chan struct{} // a file was released
	kick     chan struct{} // a live send succeeded: try now
	stored   chan struct{} // a file was left for run: schedule a retry
	stop     chan struct{}
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup // run and live deliveries
	// syncLoop stops after them: closing syncStop ends it once every file
	// they released is synced; syncDone is closed when it returned.
	syncStop, syncDone chan struct{}
	once               sync.Once
}

// New opens (or creates) the outbox directory cfg.Dir. The outbox sends
// through inner, only envelopes written for dsn, up to senders at once,
// and accounts through acct. It starts nothing until Start.
func New(cfg Config, inner delivery.Transport, acct Ledger, log *slog.Logger, dsn *protocol.DSN, senders int) (*Outbox, error) {
	sp, err := spool.Open(cfg.Dir)
	if err != nil {
		return nil, err
	}
	o := &Outbox{cfg: cfg, sp: sp, inner: inner, acct: acct, log: log, dsn: dsn,
		known: map[string]int{}, held: map[string]bool{}, foreign: map[string]bool{},
		sem: make(chan struct{}, max(senders, 1)), syncKick: make(chan struct{}, 1),
		kick: make(chan struct{}, 1), stored: make(chan struct{}, 1), stop: make(chan struct{}),
		syncStop: make(chan struct{}), syncDone: make(chan struct{}), writeDone: make(chan struct{})}
	o.wcond = sync.NewCond(&o.wmu)
	o.ctx, o.cancel = context.WithCancel(context.Background())
	return o, nil
}

// Start starts the writer, the re-send goroutine and the syncer; Close
// stops them. An outbox never started only serves FlushOnce.
func (o *Outbox) Start() {
	o.mayHave.Store(true)
	o.wg.Add(1)
	go o.run()
	go o.syncLoop()
	go o.writeLoop()
}

// Dir is the outbox's directory.
func (o *Outbox) Dir() string { return o.cfg.Dir }

// Left is how many envelope files the directory holds.
func (o *Outbox) Left() int { return len(o.sp.List()) }

// activeSet counts work in progress and lets Flush and Close wait for
// none.
type activeSet struct {
	mu   sync.Mutex
	n    int
	idle chan struct{}
}

func (a *activeSet) add() {
	a.mu.Lock()
	if a.n == 0 {
		a.idle = make(chan struct{})
	}
	a.n++
	a.mu.Unlock()
}

func (a *activeSet) done() {
	a.mu.Lock()
	if a.n--; a.n == 0 {
		close(a.idle)
	}
	a.mu.Unlock()
}

func (a *activeSet) wait(ctx context.Context) error {
	a.mu.Lock()
	if a.n == 0 {
		a.mu.Unlock()
		return nil
	}
	ch := a.idle
	a.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Send passes envelopes (client reports) to the wrapped transport.
func (o *Outbox) Send(ctx context.Context, envs []*protocol.Envelope) error {
	err := o.sendInnerAll(ctx, envs)
	if err == nil && o.mayHave.Load() {
		o.poke()
	}
	return err
}

// Flush waits for the envelopes queued for the writer and sent live, then
// for the wrapped transport.
func (o *Outbox) Flush(ctx context.Context) error {
	if err := o.active.wait(ctx); err != nil {
		return err
	}
	return o.inner.Flush(ctx)
}

// Close waits until ctx ends for the envelopes queued and sent live, then
// stops every goroutine of the outbox: what is still queued is written, a
// send in progress is cancelled and its file kept. Then it closes the
// wrapped transport.
func (o *Outbox) Close(ctx context.Context) error {
	werr := o.active.wait(ctx)
	o.closing.Store(true) // run starts no other pass
	if err := o.passing.wait(ctx); werr == nil {
		werr = err // a re-send in progress may finish
	}
	o.once.Do(func() {
		close(o.stop)
		o.cancel()
	})
	// Sends honour their context: the goroutines return promptly once it
	// is cancelled, and waiting for them, even past ctx, releases every
	// file they held before Close returns.
	o.stopWriter()
	o.wg.Wait()
	o.stopSync()
	if err := o.inner.Close(ctx); err != nil {
		return err
	}
	return werr
}

// stopSync ends syncLoop once the files released so far are synced.
func (o *Outbox) stopSync() {
	select {
	case <-o.syncStop:
	default:
		close(o.syncStop)
	}
	<-o.syncDone
}

func (o *Outbox) poke() {
	select {
	case o.kick <- struct{}{}:
	default:
	}
}

// retryable reports whether a failed send may succeed later: a network
// error or a 5xx answer.
func retryable(err error) bool {
	for _, e := range flattenErrors(err) {
		var de *delivery.DropError
		if errors.As(e, &de) {
			switch {
			case de.Reason == delivery.DropNetworkError || de.Status >= 500:
				return true
			case de.Reason == delivery.DropRateLimit:
				continue
			}
		}
		var sc interface{ StatusCode() int }
		if errors.As(e, &sc) && sc.StatusCode() >= 500 {
			return true
		}
	}
	return false
}

func flattenErrors(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flattenErrors(e)...)
		}
		return out
	}
	return []error{err}
}

// sendInner sends through the wrapped transport, turning a panic into an
// error.
func (o *Outbox) sendInner(ctx context.Context, env *protocol.Envelope) error {
	return o.sendInnerAll(ctx, []*protocol.Envelope{env})
}

func (o *Outbox) sendInnerAll(ctx context.Context, envs []*protocol.Envelope) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &delivery.DropError{Reason: delivery.DropSendError, Err: fmt.Errorf("transport panicked: %v", r)}
		}
	}()
	return o.inner.Send(ctx, envs)
}

func isRateLimited(err error) bool {
	var de *delivery.DropError
	return errors.As(err, &de) && de.Reason == delivery.DropRateLimit
}
