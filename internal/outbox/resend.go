package outbox

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/ravenkit/raven/internal/delivery"
	"github.com/ravenkit/raven/internal/protocol"
	"github.com/ravenkit/raven/internal/spool"
)

// run re-sends stored envelopes: at start, when a live send succeeds, and
// with backoff while the server stays unreachable.
func (o *Outbox) run() {
	defer o.wg.Done()
	backoff := o.cfg.MinBackoff
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
		o.passing.add()
		if o.closing.Load() {
			o.passing.done()
			return
		}
		r := o.FlushOnce(o.ctx)
		o.passing.done()
		switch {
		case r.Failed:
			backoff = min(2*backoff, o.cfg.MaxBackoff)
			timer.Reset(backoff)
			armed = true
		case r.Left > 0:
			backoff = o.cfg.MinBackoff
			timer.Reset(backoff)
			armed = true
		default:
			backoff = o.cfg.MinBackoff
			o.mayHave.Store(false)
		}
	}
}

// PassResult is what one pass over the directory did.
type PassResult struct {
	Failed   bool // stopped at a failure that may pass
	Left     int  // files to try again later (in use, or not reached)
	Busy     int  // files claimed by another process
	SetAside int  // files set aside (foreign protocol.DSN, unreadable, unsafe)
}

// FlushOnce sends stored envelopes oldest first. It stops at the first
// failure that may pass.
func (o *Outbox) FlushOnce(ctx context.Context) PassResult {
	var r PassResult
	entries := o.sp.List()
	o.reconcile(entries)
	for i, e := range entries {
		if ctx.Err() != nil {
			r.Left += len(entries) - i
			return r
		}
		o.mu.Lock()
		inUse, foreign := o.held[e.Name], o.foreign[e.Name]
		if !inUse && !foreign {
			o.held[e.Name] = true
		}
		o.mu.Unlock()
		switch {
		case foreign:
			r.SetAside++
			continue
		case inUse:
			r.Left++
			continue
		}
		out := o.take(ctx, e.Name)
		o.mu.Lock()
		delete(o.held, e.Name)
		o.mu.Unlock()
		switch out {
		case takeBusy:
			r.Busy++
			r.Left++
		case takeSetAside:
			r.SetAside++
		case takeFailed:
			r.Failed = true
			r.Left += len(entries) - i
			return r
		}
	}
	return r
}

// reconcile counts stored files of this outbox that another process took
// (sent or removed) and refreshes the directory's size.
func (o *Outbox) reconcile(entries []spool.Entry) {
	present := make(map[string]bool, len(entries))
	var bytes int64
	for _, e := range entries {
		present[e.Name] = true
		bytes += max(e.Size, 0)
	}
	o.mu.Lock()
	var gone []string
	for name := range o.known {
		if !present[name] && !o.held[name] {
			gone = append(gone, name)
		}
	}
	for name := range o.foreign {
		if !present[name] {
			delete(o.foreign, name)
		}
	}
	o.files, o.bytes = len(entries), bytes
	o.mu.Unlock()
	for _, name := range gone {
		// written after the listing, or really gone?
		if _, err := os.Lstat(filepath.Join(o.sp.Path, name)); !errors.Is(err, fs.ErrNotExist) {
			continue
		}
		o.mu.Lock()
		n, ok := o.known[name]
		if ok && !o.held[name] {
			delete(o.known, name)
		} else {
			ok = false
		}
		o.mu.Unlock()
		if ok {
			o.acct.StoredTakenOver(n)
		}
	}
}

type takeOutcome int

const (
	takeDone     takeOutcome = iota // sent, dropped, quarantined or gone
	takeBusy                        // claimed by another process
	takeSetAside                    // not sent: foreign protocol.DSN, unreadable, unsafe
	takeFailed                      // a failure that may pass: stop the pass
)

// take claims one file, checks it and sends its envelopes in order.
func (o *Outbox) take(ctx context.Context, name string) takeOutcome {
	f, busy, err := o.sp.Claim(name)
	switch {
	case busy:
		return takeBusy
	case errors.Is(err, spool.ErrUnsafeFile):
		o.log.Warn("raven: outbox: file set aside in quarantine", slog.String("file", name), slog.Any("error", err))
		o.quarantine(name, nil, delivery.SetAsideUnsafe)
		return takeSetAside
	case err != nil:
		return takeDone // gone, or not ours to open: nothing to send
	}
	recs, envs, err := o.decode(f)
	if err != nil {
		o.log.Warn("raven: outbox: unreadable file set aside in quarantine", slog.String("file", name), slog.Any("error", err))
		o.quarantine(name, f, delivery.SetAsideUnreadable)
		return takeSetAside
	}
	if !o.allForUs(envs) {
		f.Close()
		o.mu.Lock()
		first := !o.foreign[name]
		o.foreign[name] = true
		o.mu.Unlock()
		if first {
			o.log.Warn("raven: outbox: envelope written for another DSN left unsent", slog.String("file", name))
			o.acct.SetAside(delivery.SetAsideForeign)
		}
		return takeSetAside
	}
	left := 0
	for _, env := range envs {
		left += env.EventCount()
	}
	o.mu.Lock()
	_, ours := o.known[name]
	if !ours {
		o.known[name] = left
	}
	o.mu.Unlock()
	if !ours {
		o.acct.Restored(left)
	}
	for i, env := range envs {
		n := env.EventCount()
		err := o.sendInner(ctx, env)
		switch {
		case err == nil:
			o.acct.StoredDelivered(n)
			o.down.Store(false)
		case o.keep(err) || isRateLimited(err) || ctx.Err() != nil:
			if retryable(err) {
				o.down.Store(true)
			}
			if i > 0 {
				o.rewrite(f, recs[i:], left)
			} else {
				f.Close()
			}
			return takeFailed
		default:
			o.dropEnvelope(env, err, true)
		}
		left -= n
	}
	o.removeSent(f)
	return takeDone
}

// decode reads and parses a claimed file: its records and their
// envelopes. Only event envelopes are stored, so an envelope without an
// event is as unreadable as garbage.
func (o *Outbox) decode(f *spool.File) ([][]byte, []*protocol.Envelope, error) {
	data, err := o.sp.Read(f)
	if err != nil {
		return nil, nil, err
	}
	return DecodeStored(data)
}

// decodeStored parses the content of an outbox file.
func DecodeStored(data []byte) ([][]byte, []*protocol.Envelope, error) {
	recs, err := spool.DecodeRecords(data)
	if err != nil {
		return nil, nil, err
	}
	envs := make([]*protocol.Envelope, len(recs))
	for i, r := range recs {
		env, err := protocol.ParseEnvelope(r)
		if err != nil {
			return nil, nil, fmt.Errorf("record %d: %w", i, err)
		}
		if env.EventCount() == 0 {
			return nil, nil, fmt.Errorf("record %d: envelope holds no event", i)
		}
		envs[i] = env
	}
	return recs, envs, nil
}

// allForUs reports whether every envelope was written for the outbox's
// DSN.
func (o *Outbox) allForUs(envs []*protocol.Envelope) bool {
	for _, env := range envs {
		if !o.forUs(env) {
			return false
		}
	}
	return true
}

// forUs reports whether env was written for the outbox's DSN: the same
// public key and project. The host may differ (a server that moved keeps
// its keys); the envelope is sent to the outbox's DSN in any case.
func (o *Outbox) forUs(env *protocol.Envelope) bool {
	if o.dsn == nil {
		return false
	}
	d, err := protocol.ParseDSN(env.Header.DSN)
	return err == nil && d.PublicKey == o.dsn.PublicKey && d.ProjectID == o.dsn.ProjectID
}

// quarantine moves a file aside and counts it; a file of this outbox is
// counted as dropped.
func (o *Outbox) quarantine(name string, f *spool.File, reason delivery.SetAsideReason) {
	if err := o.sp.Quarantine(name, f); err != nil {
		o.log.Warn("raven: outbox: moving file to quarantine failed", slog.String("file", name), slog.Any("error", err))
	}
	o.mu.Lock()
	n, ours := o.known[name]
	delete(o.known, name)
	o.mu.Unlock()
	if ours {
		o.acct.StoredDropped(delivery.Drop{Reason: delivery.DropInternalError, Count: n, Err: errors.New("outbox file became unreadable")}, false)
		return
	}
	o.acct.SetAside(reason)
}

// evict removes the oldest files until the outbox is within its limits,
// counting their events (read from their content) as cache_overflow:
// events of a file an earlier process wrote are counted as restored
// first, so that an event evicted before it could be re-sent is still
// accounted for. Files in use are never evicted; unreadable ones go to
// quarantine, and envelopes for another DSN are removed uncounted.
func (o *Outbox) evict() {
	files, bytes := o.sp.EvictOldest(o.cfg.MaxFiles, o.cfg.MaxBytes, func(name string) bool {
		o.mu.Lock()
		inUse := o.held[name]
		if !inUse {
			o.held[name] = true
		}
		o.mu.Unlock()
		if inUse {
			return false
		}
		removed := o.evictOne(name)
		o.mu.Lock()
		delete(o.held, name)
		o.mu.Unlock()
		return removed
	})
	o.mu.Lock()
	o.files, o.bytes = files, bytes
	o.mu.Unlock()
}

// evictOne removes one file for evict; it reports whether the file left
// the directory.
func (o *Outbox) evictOne(name string) bool {
	f, _, err := o.sp.Claim(name)
	switch {
	case errors.Is(err, spool.ErrUnsafeFile):
		o.quarantine(name, nil, delivery.SetAsideUnsafe)
		return true
	case err != nil || f == nil:
		return false // busy or gone
	}
	o.mu.Lock()
	n, ours := o.known[name]
	o.mu.Unlock()
	if !ours {
		_, envs, err := o.decode(f)
		if err != nil {
			o.quarantine(name, f, delivery.SetAsideUnreadable)
			return true
		}
		if !o.allForUs(envs) {
			o.log.Warn("raven: outbox full: removed an envelope written for another DSN", slog.String("file", name))
			_ = o.sp.Remove(f)
			o.mu.Lock()
			delete(o.foreign, name)
			o.mu.Unlock()
			return true
		}
		n = 0
		for _, env := range envs {
			n += env.EventCount()
		}
		o.acct.Restored(n)
	}
	if o.sp.Remove(f) != nil {
		return false
	}
	o.mu.Lock()
	delete(o.known, name)
	o.mu.Unlock()
	o.acct.StoredDropped(delivery.Drop{Reason: delivery.DropCacheOverflow, Count: n,
		Err: errors.New("outbox full: oldest envelope evicted")}, false)
	return true
}
