package raven

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ravenkit/raven/internal/spool"
)

// Defaults of the on-disk outbox (WithOutbox).
const (
	// DefaultOutboxMaxFiles bounds how many files the outbox keeps (a
	// file holds the events written together: one, or several during a
	// burst).
	DefaultOutboxMaxFiles = 1000
	// DefaultOutboxMaxBytes bounds the outbox's total size on disk.
	DefaultOutboxMaxBytes = 64 << 20
	// DefaultOutboxMinBackoff is the first wait before re-sending after
	// the server could not be reached.
	DefaultOutboxMinBackoff = time.Second
	// DefaultOutboxMaxBackoff caps the wait between re-send attempts.
	DefaultOutboxMaxBackoff = 5 * time.Minute
)

// OutboxOption configures the outbox given to WithOutbox.
type OutboxOption interface{ applyOutbox(*outboxConfig) }

type outboxOptionFunc func(*outboxConfig)

func (f outboxOptionFunc) applyOutbox(c *outboxConfig) { f(c) }

type outboxConfig struct {
	dir                    string
	maxFiles               int
	maxBytes               int64
	minBackoff, maxBackoff time.Duration
}

// WithOutboxLimits bounds the outbox to files files and bytes bytes (a
// file holds the events written together: one, or several during a
// burst); when a new file does not fit, the oldest are removed and their
// events counted as dropped with reason DropCacheOverflow. Values <= 0 keep
// the defaults.
func WithOutboxLimits(files int, bytes int64) OutboxOption {
	return outboxOptionFunc(func(c *outboxConfig) {
		if files > 0 {
			c.maxFiles = files
		}
		if bytes > 0 {
			c.maxBytes = bytes
		}
	})
}

// WithOutboxBackoff sets the first and the longest wait between attempts
// to re-send stored envelopes while the server is unreachable. Values <= 0
// keep the defaults.
func WithOutboxBackoff(min, max time.Duration) OutboxOption {
	return outboxOptionFunc(func(c *outboxConfig) {
		if min > 0 {
			c.minBackoff = min
		}
		if max > 0 {
			c.maxBackoff = max
		}
	})
}

// WithOutbox writes every event to the directory dir (created if missing)
// before sending it, and removes the file once the event is delivered or
// dropped with a reason: an event outlives the process from soon after its
// capture, whether the process exits, crashes or is killed during an
// outage. See docs/RELIABILITY.md for the window of loss and the cost.
//
// A sender goroutine builds and encodes the event, writes it to a new
// file, then sends it (up to WithSenders sends at once); the capture path
// does no file I/O. A file is written and renamed into place without
// waiting for the disk, so it survives the process at once; it is synced
// to stable storage (fsync) in the background when it is not delivered
// right away, so a machine crash may lose what was written in the moment
// before it. While the server cannot be reached or answers 5xx, new events
// are only written, and one goroutine re-sends stored files oldest first
// with exponential backoff (WithOutboxBackoff); files stored by an earlier
// process (after a restart) are sent the same way. Files that do not fit
// the limits (WithOutboxLimits) are removed oldest first and counted as
// DropCacheOverflow.
//
// Only envelopes written for this client's DSN (same public key and
// project) are sent; others are left in place and counted in
// Stats.SetAside. Files are opened without following symbolic links, and
// only regular files owned by this user are read; unreadable or unsafe
// files are moved to the "quarantine" subdirectory (bounded in size) and
// counted. The directory is made private: New tightens a directory that
// other users may access to mode 0700, and fails when that is not possible
// or when the directory belongs to another user.
//
// Several processes may share one directory: a file is claimed with an
// advisory lock (flock(2) on unix) before it is sent, so it is sent by one
// process only, and a claim ends with its process whatever PID a later
// process gets. On platforms without flock, processes sharing a directory
// at the same time may each send a file (servers drop the second copy by
// its event id).
func WithOutbox(dir string, opts ...OutboxOption) Option {
	return optionFunc(func(c *config) {
		oc := &outboxConfig{dir: dir, maxFiles: DefaultOutboxMaxFiles, maxBytes: DefaultOutboxMaxBytes,
			minBackoff: DefaultOutboxMinBackoff, maxBackoff: DefaultOutboxMaxBackoff}
		for _, o := range opts {
			if o != nil {
				o.applyOutbox(oc)
			}
		}
		c.ext.outbox = oc
	})
}

// outboxLedger is how the outbox accounts for the events it holds (the
// client's counters, see Stats).
type outboxLedger interface {
	// spooled: n events of this process were written to the outbox.
	spooled(n int)
	// restored: n events read from a file another process wrote; they
	// are stored now.
	restored(n int)
	// storedDelivered: n stored events were delivered.
	storedDelivered(n int)
	// storedDropped: stored events were dropped.
	storedDropped(d Drop, reported bool)
	// delivered, dropped: events sent without being stored (the write
	// failed).
	delivered(n int)
	dropped(d Drop, reported bool)
	// storedTakenOver: n stored events were taken by another process.
	storedTakenOver(n int)
	// setAside: a file was not sent.
	setAside(r SetAsideReason)
}

// outbox writes events ahead of their delivery and re-sends what is
// stored. It also wraps the client's transport, passing other envelopes
// (client reports) through.
//
// Ownership: newOutbox starts the writer (writeLoop), the re-send
// goroutine (run) and the syncer (syncLoop); the writer starts a goroutine
// per file it sends live, which sends up to cap(sem) envelopes at once.
// Close waits for all of them.
type outbox struct {
	cfg   outboxConfig
	sp    *spool.Dir
	inner Transport
	acct  outboxLedger
	log   *slog.Logger
	dsn   *DSN // only envelopes written for this DSN are sent

	mu      sync.Mutex
	known   map[string]int  // files this outbox holds (wrote or restored): their events
	held    map[string]bool // files in use in this process
	foreign map[string]bool // files already counted as set aside for another DSN
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

func newOutboxCore(cfg outboxConfig, inner Transport, acct outboxLedger, log *slog.Logger, dsn *DSN, senders int) (*outbox, error) {
	sp, err := spool.Open(cfg.dir)
	if err != nil {
		return nil, err
	}
	o := &outbox{cfg: cfg, sp: sp, inner: inner, acct: acct, log: log, dsn: dsn,
		known: map[string]int{}, held: map[string]bool{}, foreign: map[string]bool{},
		sem: make(chan struct{}, max(senders, 1)), syncKick: make(chan struct{}, 1),
		kick: make(chan struct{}, 1), stored: make(chan struct{}, 1), stop: make(chan struct{}),
		syncStop: make(chan struct{}), syncDone: make(chan struct{}), writeDone: make(chan struct{})}
	o.wcond = sync.NewCond(&o.wmu)
	o.ctx, o.cancel = context.WithCancel(context.Background())
	return o, nil
}

func newOutbox(c *Client, cfg outboxConfig, inner Transport) (*outbox, error) {
	o, err := newOutboxCore(cfg, inner, c, c.cfg.logger, c.dsn, c.cfg.senders)
	if err != nil {
		return nil, err
	}
	o.mayHave.Store(true)
	o.wg.Add(1)
	go o.run()
	go o.syncLoop()
	go o.writeLoop()
	return o, nil
}

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
func (o *outbox) Send(ctx context.Context, envs []*Envelope) error {
	err := o.sendInnerAll(ctx, envs)
	if err == nil && o.mayHave.Load() {
		o.poke()
	}
	return err
}

// Flush waits for the envelopes queued for the writer and sent live, then
// for the wrapped transport.
func (o *outbox) Flush(ctx context.Context) error {
	if err := o.active.wait(ctx); err != nil {
		return err
	}
	return o.inner.Flush(ctx)
}

// Close waits until ctx ends for the envelopes queued and sent live, then
// stops every goroutine of the outbox: what is still queued is written, a
// send in progress is cancelled and its file kept. Then it closes the
// wrapped transport.
func (o *outbox) Close(ctx context.Context) error {
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
func (o *outbox) stopSync() {
	select {
	case <-o.syncStop:
	default:
		close(o.syncStop)
	}
	<-o.syncDone
}

func (o *outbox) poke() {
	select {
	case o.kick <- struct{}{}:
	default:
	}
}

// retryable reports whether a failed send may succeed later: a network
// error or a 5xx answer.
func retryable(err error) bool {
	for _, e := range flattenErrors(err) {
		var de *DropError
		if errors.As(e, &de) {
			switch {
			case de.Reason == DropNetworkError || de.Status >= 500:
				return true
			case de.Reason == DropRateLimit:
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
func (o *outbox) sendInner(ctx context.Context, env *Envelope) error {
	return o.sendInnerAll(ctx, []*Envelope{env})
}

func (o *outbox) sendInnerAll(ctx context.Context, envs []*Envelope) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &DropError{Reason: DropSendError, Err: fmt.Errorf("transport panicked: %v", r)}
		}
	}()
	return o.inner.Send(ctx, envs)
}

func isRateLimited(err error) bool {
	var de *DropError
	return errors.As(err, &de) && de.Reason == DropRateLimit
}
