package raven

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of the on-disk outbox (WithOutbox).
const (
	// DefaultOutboxMaxFiles bounds how many envelopes the outbox keeps.
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

// WithOutboxLimits bounds the outbox to files envelopes and bytes bytes;
// when a new envelope does not fit, the oldest are removed and counted as
// dropped with reason DropCacheOverflow. Values <= 0 keep the defaults.
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

// WithOutbox keeps envelopes that could not be delivered in the directory
// dir (created if missing) instead of dropping them: when the server
// cannot be reached, answers 5xx, or the client is closed with events still
// queued. Stored envelopes are re-sent, oldest first and with exponential
// backoff, as soon as a send succeeds again, and by the next client created
// with the same directory (for instance after a restart). Delivered files
// are removed.
//
// Events in the outbox are neither delivered nor dropped in Stats until
// they are re-sent (then counted delivered) or evicted to respect the
// limits (then dropped as DropCacheOverflow). Several processes may share
// one directory: each file is claimed by an atomic rename before it is
// sent, so it is delivered by one process only.
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

// Outbox file names: "<unix nanos, 20 digits>-<pid>-<random>-<events>.env",
// so that sorting by name sorts by age. A file being sent is renamed to
// "<name>.claim-<pid>-<random>"; a temporary file starts with '.'.
const (
	outboxExt   = ".env"
	outboxClaim = ".claim-"
)

// outbox is a Transport decorator that stores undeliverable envelopes on
// disk and re-sends them.
//
// Ownership: New starts one goroutine (run) that re-sends stored files; the
// transport's Close stops it and waits for it.
type outbox struct {
	cfg    outboxConfig
	inner  Transport
	client *Client
	log    *slog.Logger
	token  string // this process's claim suffix

	kick   chan struct{} // a live send succeeded: try now
	stored chan struct{} // a file was stored: schedule a retry
	stop   chan struct{}
	done   chan struct{}
	ctx    context.Context
	cancel context.CancelFunc
	mu     sync.Mutex // serialises writes and evictions in this process
	// mayHave is false once a pass found the directory empty and nothing
	// was stored since: live deliveries then do not rescan the directory.
	mayHave atomic.Bool
	once    sync.Once
}

// errSpooled tells the client an envelope was stored in the outbox: it is
// neither delivered nor dropped yet.
var errSpooled = errors.New("raven: envelope stored in the outbox")

func newOutbox(c *Client, cfg outboxConfig, inner Transport) (*outbox, error) {
	if cfg.dir == "" {
		return nil, errors.New("raven: WithOutbox needs a directory")
	}
	if err := os.MkdirAll(cfg.dir, 0o700); err != nil {
		return nil, fmt.Errorf("raven: outbox: %w", err)
	}
	o := &outbox{cfg: cfg, inner: inner, client: c, log: c.cfg.logger,
		token: strconv.Itoa(os.Getpid()) + "-" + randomHex(4),
		kick:  make(chan struct{}, 1), stored: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	o.ctx, o.cancel = context.WithCancel(context.Background())
	o.reclaimStale()
	go o.run()
	return o, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Send sends each envelope through the wrapped transport and stores those
// that failed for a reason that may pass (network, 5xx).
func (o *outbox) Send(ctx context.Context, envs []*Envelope) error {
	var errs []error
	spooled, delivered := false, false
	for _, env := range envs {
		err := o.sendInner(ctx, env)
		if err == nil {
			delivered = true
			continue
		}
		if !retryable(err) || env.EventCount() == 0 {
			// refused for good; or a client report alone, which the client
			// keeps and sends with a later envelope rather than filling
			// the outbox with it
			errs = append(errs, err)
			continue
		}
		if serr := o.store(env); serr != nil {
			o.log.Warn("raven: outbox: storing envelope failed", slog.Any("error", serr))
			errs = append(errs, err)
			continue
		}
		spooled = true
	}
	if delivered {
		if o.mayHave.Load() {
			o.poke() // the server is reachable: send what waits on disk
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if spooled {
		return errSpooled
	}
	return nil
}

// Flush waits for the wrapped transport.
func (o *outbox) Flush(ctx context.Context) error { return o.inner.Flush(ctx) }

// Close stops the re-send goroutine, then closes the wrapped transport.
func (o *outbox) Close(ctx context.Context) error {
	o.once.Do(func() {
		close(o.stop)
		o.cancel()
	})
	// The re-send in progress, if any, was cancelled above and returns
	// promptly (Send honours its context); waiting for it, even past ctx,
	// puts a file it had claimed back before Close returns.
	<-o.done
	return o.inner.Close(ctx)
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

// run re-sends stored envelopes: at start, when a live send succeeds, and
// with backoff while the server stays unreachable.
func (o *outbox) run() {
	defer close(o.done)
	backoff := o.cfg.minBackoff
	o.mayHave.Store(true)
	timer := time.NewTimer(0) // a first pass at start picks up earlier runs
	defer timer.Stop()
	armed := true
	for {
		select {
		case <-o.stop:
			return
		case <-o.stored:
			// something new waits on disk: make sure a retry is scheduled,
			// without cutting the current backoff short
			if !armed {
				timer.Reset(backoff)
				armed = true
			}
			continue
		case <-o.kick:
		case <-timer.C:
		}
		if armed && !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		armed = false
		left, failed := o.flushOnce(o.ctx)
		switch {
		case failed:
			backoff = min(2*backoff, o.cfg.maxBackoff)
			timer.Reset(backoff)
			armed = true
		case left:
			backoff = o.cfg.minBackoff
			timer.Reset(backoff)
			armed = true
		default:
			backoff = o.cfg.minBackoff
			o.mayHave.Store(false)
		}
	}
}

// storedFile is one envelope file of the outbox.
type storedFile struct {
	name   string
	size   int64
	events int
}

// list returns the stored (unclaimed) envelopes, oldest first.
func (o *outbox) list() []storedFile {
	ents, err := os.ReadDir(o.cfg.dir)
	if err != nil {
		return nil
	}
	var out []storedFile
	for _, e := range ents {
		n := e.Name()
		if !strings.HasSuffix(n, outboxExt) || strings.HasPrefix(n, ".") || !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		out = append(out, storedFile{name: n, size: info.Size(), events: eventsInName(n)})
	}
	slices.SortFunc(out, func(a, b storedFile) int { return strings.Compare(a.name, b.name) })
	return out
}

func eventsInName(n string) int {
	n = strings.TrimSuffix(n, outboxExt)
	i := strings.LastIndexByte(n, '-')
	if i < 0 {
		return 0
	}
	v, err := strconv.Atoi(n[i+1:])
	if err != nil || v < 0 {
		return 0
	}
	return v
}

// store writes env atomically (temporary file, fsync, rename) and evicts
// the oldest files beyond the limits.
func (o *outbox) store(env *Envelope) error {
	o.mayHave.Store(true)
	b, err := env.Bytes()
	if err != nil {
		return err
	}
	if int64(len(b)) > o.cfg.maxBytes {
		return fmt.Errorf("envelope of %d bytes exceeds the outbox limit of %d", len(b), o.cfg.maxBytes)
	}
	name := fmt.Sprintf("%020d-%d-%s-%d%s", time.Now().UnixNano(), os.Getpid(), randomHex(4), env.EventCount(), outboxExt)
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := writeFileAtomic(o.cfg.dir, name, b); err != nil {
		return err
	}
	o.evict(name)
	if o.stored != nil {
		select {
		case o.stored <- struct{}{}:
		default:
		}
	}
	return nil
}

// writeFileAtomic writes data to dir/name so that readers see either no
// file or the whole file, and the file survives a machine crash.
func writeFileAtomic(dir, name string, data []byte) error {
	f, err := os.CreateTemp(dir, "."+name+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, name))
	}
	if err != nil {
		_ = os.Remove(tmp)
		return err
	}
	if d, err := os.Open(dir); err == nil { // make the rename durable
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// evict removes the oldest files until the outbox is within its limits,
// counting their events as cache_overflow. keep is never evicted.
func (o *outbox) evict(keep string) {
	files := o.list()
	var total int64
	for _, f := range files {
		total += f.size
	}
	for i := 0; len(files)-i > o.cfg.maxFiles || total > o.cfg.maxBytes; i++ {
		if i >= len(files) {
			break
		}
		f := files[i]
		if f.name == keep {
			continue
		}
		total -= f.size
		if err := os.Remove(filepath.Join(o.cfg.dir, f.name)); err != nil {
			continue // another process claimed or evicted it
		}
		if f.events > 0 {
			o.client.recordDrop(Drop{Reason: DropCacheOverflow, Count: f.events,
				Err: errors.New("outbox full: oldest envelope evicted")}, false)
		}
	}
}

// flushOnce sends stored envelopes oldest first. It stops at the first
// failure that may pass (failed) and tells whether files remain (left).
func (o *outbox) flushOnce(ctx context.Context) (left, failed bool) {
	for _, f := range o.list() {
		if ctx.Err() != nil {
			return true, false
		}
		src := filepath.Join(o.cfg.dir, f.name)
		claimed := src + outboxClaim + o.token
		if err := os.Rename(src, claimed); err != nil {
			continue // another process took it
		}
		data, err := os.ReadFile(claimed)
		if err != nil {
			_ = os.Rename(claimed, src)
			continue
		}
		env, err := ParseEnvelope(data)
		if err != nil {
			o.log.Warn("raven: outbox: removing unreadable file", slog.String("file", f.name), slog.Any("error", err))
			_ = os.Remove(claimed)
			continue
		}
		err = o.sendInner(ctx, env)
		switch {
		case err == nil:
			_ = os.Remove(claimed)
			o.client.counters.delivered.Add(uint64(env.EventCount()))
		case retryable(err) || isRateLimited(err) || errors.Is(err, errNoDSN) || ctx.Err() != nil:
			_ = os.Rename(claimed, src) // keep it for the next attempt
			return true, true
		default:
			_ = os.Remove(claimed)
			var de *DropError
			reason, reported := DropSendError, false
			if errors.As(err, &de) {
				reason, reported = de.Reason, de.Reported
			}
			if n := env.EventCount(); n > 0 {
				o.client.recordDrop(Drop{Reason: reason, EventID: env.Header.EventID, Count: n, Err: err}, reported)
			}
		}
	}
	return false, false
}

// sendInner sends through the wrapped transport, turning a panic into an
// error.
func (o *outbox) sendInner(ctx context.Context, env *Envelope) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &DropError{Reason: DropSendError, Err: fmt.Errorf("transport panicked: %v", r)}
		}
	}()
	return o.inner.Send(ctx, []*Envelope{env})
}

func isRateLimited(err error) bool {
	var de *DropError
	return errors.As(err, &de) && de.Reason == DropRateLimit
}

// reclaimStale returns files claimed by processes that no longer run.
func (o *outbox) reclaimStale() {
	ents, err := os.ReadDir(o.cfg.dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		n := e.Name()
		i := strings.Index(n, outboxExt+outboxClaim)
		if i < 0 {
			continue
		}
		owner := n[i+len(outboxExt+outboxClaim):]
		pidStr, _, _ := strings.Cut(owner, "-")
		pid, err := strconv.Atoi(pidStr)
		if err != nil || pid == os.Getpid() || processAlive(pid) {
			continue // a claim of a running process (this one included)
		}
		_ = os.Rename(filepath.Join(o.cfg.dir, n), filepath.Join(o.cfg.dir, n[:i+len(outboxExt)]))
	}
}

// spool stores a capture the pipeline could not send before Close: the
// event is built and written to the outbox. It reports false when the
// capture was not stored (and must be counted as dropped by the caller).
func (o *outbox) spool(p *pending) bool {
	ev, reason, err := o.client.buildEvent(p)
	if ev == nil {
		o.client.recordDrop(Drop{Reason: reason, EventID: p.id, Count: 1, Err: err}, false)
		return true // accounted for
	}
	payload, err := encodeEvent(ev, MaxEventBytes)
	if err != nil {
		return false
	}
	env := &Envelope{Header: EnvelopeHeader{EventID: ev.EventID, SentAt: time.Now(), SDK: o.client.static.sdk}}
	if o.client.dsn != nil {
		env.Header.DSN = o.client.dsn.String()
	}
	env.Items = append(env.Items, EnvelopeItem{Type: ItemEvent, Payload: payload, Events: 1})
	if err := o.store(env); err != nil {
		o.log.Warn("raven: outbox: storing envelope failed", slog.Any("error", err))
		return false
	}
	return true
}

// OutboxResult summarises a FlushOutbox run.
type OutboxResult struct {
	Delivered int // events delivered (files removed)
	Dropped   int // events the server refused for good (files removed)
	Left      int // envelope files still in the directory
}

// FlushOutbox sends the envelopes stored in the outbox directory dir once,
// oldest first, each to the DSN recorded in its header, or to dsn when it
// is not empty. Delivered files and files the server refuses for good
// (4xx other than 429) are removed; it stops at the first failure that may
// pass (network, 5xx, 429) and returns it, leaving the rest for later.
// Files being sent by another process are skipped.
func FlushOutbox(ctx context.Context, dir, dsn string, opts ...TransportOption) (OutboxResult, error) {
	var res OutboxResult
	if _, err := os.Stat(dir); err != nil {
		return res, fmt.Errorf("raven: outbox: %w", err)
	}
	var override *DSN
	if dsn != "" {
		d, err := ParseDSN(dsn)
		if err != nil {
			return res, err
		}
		override = d
	}
	c := &Client{cfg: defaultConfig()}
	c.cfg.logger = slog.New(discardHandler{})
	router := &dsnRouter{override: override, opts: opts, byDSN: map[string]*HTTPTransport{}}
	o := &outbox{cfg: outboxConfig{dir: dir, maxFiles: DefaultOutboxMaxFiles, maxBytes: DefaultOutboxMaxBytes},
		inner: router, client: c, log: c.cfg.logger, token: strconv.Itoa(os.Getpid()) + "-" + randomHex(4)}
	o.reclaimStale()
	_, failed := o.flushOnce(ctx)
	res.Delivered = int(c.counters.delivered.Load())
	res.Dropped = int(c.Stats().DroppedTotal())
	res.Left = len(o.list())
	_ = router.Close(ctx)
	if failed {
		if router.lastErr != nil {
			return res, router.lastErr
		}
		return res, fmt.Errorf("raven: outbox: %d envelopes not delivered", res.Left)
	}
	return res, ctx.Err()
}

// errNoDSN: a stored envelope records no DSN and none was given; it is kept.
var errNoDSN = errors.New("raven: outbox: envelope records no usable DSN")

// dsnRouter sends each envelope to the DSN of its header.
type dsnRouter struct {
	override *DSN
	opts     []TransportOption
	mu       sync.Mutex
	byDSN    map[string]*HTTPTransport
	lastErr  error
}

func (r *dsnRouter) Send(ctx context.Context, envs []*Envelope) error {
	var errs []error
	for _, env := range envs {
		d := r.override
		if d == nil {
			var err error
			if d, err = ParseDSN(env.Header.DSN); err != nil {
				errs = append(errs, fmt.Errorf("%w (%v): give a DSN to send it to", errNoDSN, err))
				continue
			}
		}
		r.mu.Lock()
		t := r.byDSN[d.String()]
		if t == nil {
			var err error
			if t, err = NewHTTPTransport(d, r.opts...); err != nil {
				r.mu.Unlock()
				errs = append(errs, &DropError{Reason: DropSendError, Err: err})
				continue
			}
			r.byDSN[d.String()] = t
		}
		r.mu.Unlock()
		if err := t.Send(ctx, []*Envelope{env}); err != nil {
			errs = append(errs, err)
		}
	}
	err := errors.Join(errs...)
	if err != nil {
		r.mu.Lock()
		r.lastErr = err
		r.mu.Unlock()
	}
	return err
}

func (r *dsnRouter) Flush(ctx context.Context) error { return nil }

func (r *dsnRouter) Close(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, t := range r.byDSN {
		_ = t.Close(ctx)
	}
	return nil
}
