package outbox

import (
	"errors"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/ravenkit/raven/internal/delivery"
	"github.com/ravenkit/raven/internal/protocol"
	"github.com/ravenkit/raven/internal/spool"
)

// The write-ahead path: a sender hands the encoded envelope to the
// outbox's writer and goes on; the writer puts every envelope waiting into
// one file (a group commit: creating a file is what costs, so a burst
// becomes a few files rather than one per event), then sends them from
// there.

// walItem is an event envelope on its way to disk.
type walItem struct {
	env     *protocol.Envelope // as sent live: with the client reports of the moment
	data    []byte             // as stored: the events only
	n       int                // events
	reports map[delivery.ReportKey]int
	restore func(map[delivery.ReportKey]int)
	live    bool // send once written (false for Close's drain)
}

// Bounds of the write-ahead queue and of the files the writer makes.
const (
	walMaxBatch      = 256     // envelopes per file at most
	walMaxBatchBytes = 4 << 20 // bytes per file at most (one larger envelope goes alone)
	walMaxQueued     = 1024    // envelopes waiting for the writer before writeAhead waits for room
)

// eventsOnly returns env without its client reports, as stored on disk:
// a report travels with a live send only, so a stored file never repeats
// one.
func eventsOnly(env *protocol.Envelope) *protocol.Envelope {
	for i := range env.Items {
		if env.Items[i].Events == 0 {
			out := &protocol.Envelope{Header: env.Header}
			for _, it := range env.Items {
				if it.Events > 0 {
					out.Items = append(out.Items, it)
				}
			}
			return out
		}
	}
	return env
}

// writeAhead queues env for the writer, which stores its events and then
// sends it unless the server is known to be down (the file then waits for
// run). It reports false when env is not taken: the caller then delivers
// it the way it would without an outbox. reports are the client reports
// env carries; restore gives them back when env is not delivered.
func (o *Outbox) WriteAhead(env *protocol.Envelope, reports map[delivery.ReportKey]int, restore func(map[delivery.ReportKey]int)) bool {
	return o.enqueueWrite(env, reports, restore, true)
}

// store queues env for the writer only: Close's drain, which Close then
// waits for. It reports false when env is not taken.
func (o *Outbox) Store(env *protocol.Envelope) bool { return o.enqueueWrite(env, nil, nil, false) }

func (o *Outbox) enqueueWrite(env *protocol.Envelope, reports map[delivery.ReportKey]int, restore func(map[delivery.ReportKey]int), live bool) bool {
	ev := eventsOnly(env)
	n := ev.EventCount()
	if n == 0 {
		return false
	}
	data, err := ev.Bytes()
	if err != nil {
		return false
	}
	if int64(len(data)) > o.cfg.MaxBytes {
		o.log.Warn("raven: outbox: envelope larger than the outbox limit; sent without it",
			slog.Int("bytes", len(data)), slog.Int64("limit", o.cfg.MaxBytes))
		return false
	}
	o.active.add()
	o.wmu.Lock()
	for len(o.wq) >= walMaxQueued && !o.wclosed {
		o.wcond.Wait() // the disk is slower than the senders: they wait
	}
	if o.wclosed {
		o.wmu.Unlock()
		o.active.done()
		return false
	}
	o.wq = append(o.wq, walItem{env: env, data: data, n: n, reports: reports, restore: restore, live: live})
	o.wcond.Broadcast()
	o.wmu.Unlock()
	return true
}

// writeLoop writes what waits in the queue, as many envelopes to a file as
// are waiting, until the queue is closed and empty.
func (o *Outbox) writeLoop() {
	defer close(o.writeDone)
	for {
		o.wmu.Lock()
		for len(o.wq) == 0 && !o.wclosed {
			o.wcond.Wait()
		}
		if len(o.wq) == 0 {
			o.wmu.Unlock()
			return
		}
		k, size := 0, 0
		for k < len(o.wq) && k < walMaxBatch && (k == 0 || size+len(o.wq[k].data) <= walMaxBatchBytes) {
			size += len(o.wq[k].data)
			k++
		}
		batch := make([]walItem, k)
		copy(batch, o.wq)
		n := copy(o.wq, o.wq[k:])
		clear(o.wq[n:])
		o.wq = o.wq[:n]
		o.wcond.Broadcast() // room for waiting senders
		o.wmu.Unlock()
		o.writeBatch(batch)
	}
}

// stopWriter writes what is queued, then ends writeLoop.
func (o *Outbox) stopWriter() {
	o.wmu.Lock()
	o.wclosed = true
	o.wcond.Broadcast()
	o.wmu.Unlock()
	<-o.writeDone
}

// writeBatch stores batch in one file, then sends it from there, or
// leaves the file for run.
func (o *Outbox) writeBatch(batch []walItem) {
	recs := make([][]byte, len(batch))
	n := 0
	for i := range batch {
		recs[i] = batch[i].data
		n += batch[i].n
	}
	f, err := o.sp.Create(spool.EncodeRecords(recs))
	if err != nil {
		// Nowhere to keep them: send them as a client without an outbox
		// would.
		o.log.Warn("raven: outbox: writing events failed; sending them without the outbox", slog.Any("error", err))
		o.wg.Add(1)
		go o.deliverBatch(nil, batch)
		return
	}
	size := int64(f.Size)
	o.acct.Spooled(n)
	o.mu.Lock()
	o.known[f.Name] = n
	o.held[f.Name] = true
	o.files++
	o.bytes += size
	o.mu.Unlock()
	o.evictIfOver()
	live := false
	for i := range batch {
		live = live || batch[i].live
	}
	if live && !o.down.Load() && !o.closing.Load() {
		o.wg.Add(1)
		go o.deliverBatch(f, batch)
		return
	}
	for i := range batch {
		if len(batch[i].reports) > 0 {
			batch[i].restore(batch[i].reports)
		}
	}
	o.release(f)
	for range batch {
		o.active.done()
	}
}

// sendOutcome is what became of one envelope sent live.
type sendOutcome int

const (
	sendKept      sendOutcome = iota // not sent, or failed in a way that may pass
	sendDelivered                    // a 2xx answer
	sendDropped                      // refused for good, counted
)

// deliverBatch sends the envelopes of a file just written (f nil: the
// write failed), up to cap(sem) at once, then removes the file, leaves it,
// or rewrites it with what is left.
func (o *Outbox) deliverBatch(f *spool.File, batch []walItem) {
	defer o.wg.Done()
	out := make([]sendOutcome, len(batch))
	var wg sync.WaitGroup
	for i := range batch {
		if !batch[i].live || o.down.Load() {
			continue
		}
		select {
		case o.sem <- struct{}{}:
		case <-o.ctx.Done():
			continue
		}
		if o.down.Load() {
			// the server went down while this one waited for a slot: the
			// envelope stays on disk for the re-send goroutine
			<-o.sem
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-o.sem }()
			out[i] = o.sendLive(&batch[i], f != nil)
		}()
	}
	wg.Wait()
	for i := range batch {
		if out[i] != sendDelivered && len(batch[i].reports) > 0 {
			batch[i].restore(batch[i].reports) // the report did not reach the server either
		}
	}
	if f == nil {
		for i := range batch {
			if out[i] == sendKept {
				o.acct.Dropped(delivery.Drop{Reason: delivery.DropNetworkError, EventID: batch[i].env.Header.EventID, Count: batch[i].n,
					Err: errors.New("not delivered, and the outbox could not store it")}, false)
			}
		}
	} else {
		var left [][]byte
		n := 0
		for i := range batch {
			if out[i] == sendKept {
				left = append(left, batch[i].data)
				n += batch[i].n
			}
		}
		switch {
		case len(left) == 0:
			o.removeSent(f)
		case len(left) == len(batch):
			o.release(f)
		default:
			o.rewrite(f, left, n)
		}
	}
	for range batch {
		o.active.done()
	}
}

// sendLive sends one envelope and accounts for its events, stored (in a
// file) or not.
func (o *Outbox) sendLive(it *walItem, stored bool) sendOutcome {
	err := o.sendInner(o.ctx, it.env)
	switch {
	case err == nil:
		if stored {
			o.acct.StoredDelivered(it.n)
		} else {
			o.acct.Delivered(it.n)
		}
		o.down.Store(false)
		if o.mayHave.Load() {
			o.poke() // the server is reachable: send what waits on disk
		}
		return sendDelivered
	case o.keep(err):
		if retryable(err) {
			o.down.Store(true)
		}
		return sendKept
	default:
		o.dropEnvelope(it.env, err, stored)
		return sendDropped
	}
}

// keep tells whether a failed send leaves the file for a later attempt:
// a failure that may pass, or a send cut short by Close.
func (o *Outbox) keep(err error) bool {
	return retryable(err) || (o.ctx.Err() != nil && errors.Is(err, o.ctx.Err()))
}

// dropEnvelope counts the events of an envelope the server refused.
func (o *Outbox) dropEnvelope(env *protocol.Envelope, err error, stored bool) {
	var de *delivery.DropError
	reason, reported := delivery.DropSendError, false
	if errors.As(err, &de) {
		reason, reported = de.Reason, de.Reported
	}
	for i := range env.Items {
		it := &env.Items[i]
		if it.Events > 0 {
			d := delivery.Drop{Reason: reason, Category: it.Category(), EventID: env.Header.EventID, Count: it.Events, Err: err}
			if stored {
				o.acct.StoredDropped(d, reported)
			} else {
				o.acct.Dropped(d, reported)
			}
		}
	}
}

// rewrite replaces the held file f, part of which was delivered, with a
// file of the records left (n events), and releases that one. When the
// new file cannot be written the events left are dropped rather than sent
// twice.
func (o *Outbox) rewrite(f *spool.File, left [][]byte, n int) {
	nf, err := o.sp.Create(spool.EncodeRecords(left))
	if err != nil {
		o.log.Warn("raven: outbox: rewriting a partly sent file failed", slog.Any("error", err))
		o.removeSent(f)
		o.acct.StoredDropped(delivery.Drop{Reason: delivery.DropInternalError, Count: n, Err: err}, false)
		return
	}
	o.mu.Lock()
	o.known[nf.Name] = n
	o.held[nf.Name] = true
	o.files++
	o.bytes += int64(nf.Size)
	o.mu.Unlock()
	o.removeSent(f)
	o.release(nf)
}

// removeSent deletes a held file that is done with.
func (o *Outbox) removeSent(f *spool.File) {
	_ = o.sp.Remove(f)
	o.mu.Lock()
	if _, ok := o.known[f.Name]; ok {
		delete(o.known, f.Name)
		o.files--
		o.bytes -= int64(f.Size)
	}
	delete(o.held, f.Name)
	o.mu.Unlock()
}

// release leaves a held file for run, and for syncLoop to sync.
func (o *Outbox) release(f *spool.File) {
	o.mayHave.Store(true)
	o.unhold(f)
	o.mu.Lock()
	if len(o.unsynced) < o.cfg.MaxFiles {
		o.unsynced = append(o.unsynced, f.Name)
	}
	o.mu.Unlock()
	select {
	case o.syncKick <- struct{}{}:
	default:
	}
	select {
	case o.stored <- struct{}{}:
	default:
	}
	o.evictIfOver()
}

func (o *Outbox) unhold(f *spool.File) {
	f.Close()
	o.mu.Lock()
	delete(o.held, f.Name)
	o.mu.Unlock()
}

// Batching of syncLoop: files released in a burst are synced together
// once no other file came for syncQuiet, or syncMaxDelay after the first
// one. Syncing during a burst would slow down the writes that get events
// out of memory (an fsync makes the file system commit its journal, which
// other file operations wait for).
const (
	syncQuiet    = 50 * time.Millisecond
	syncMaxDelay = time.Second
)

// syncLoop syncs released files to stable storage in batches, then the
// directory once per batch. A file is reopened by name to be synced: it
// may be sent and removed meanwhile, and then needs nothing.
func (o *Outbox) syncLoop() {
	defer close(o.syncDone)
	quiet := time.NewTimer(time.Hour)
	defer quiet.Stop()
	for {
		select {
		case <-o.syncKick:
		case <-o.syncStop:
			o.syncBatch()
			return
		}
		deadline := time.Now().Add(syncMaxDelay)
	collect:
		for {
			quiet.Reset(min(syncQuiet, max(time.Until(deadline), 0)))
			select {
			case <-o.syncKick:
			case <-quiet.C:
				break collect
			case <-o.syncStop:
				o.syncBatch()
				return
			}
		}
		o.syncBatch()
	}
}

func (o *Outbox) syncBatch() {
	o.mu.Lock()
	names := o.unsynced
	o.unsynced = nil
	o.mu.Unlock()
	if len(names) == 0 {
		return
	}
	for _, name := range names {
		if f, err := spool.OpenNoFollow(filepath.Join(o.sp.Path, name)); err == nil {
			_ = f.Sync()
			f.Close()
		}
	}
	o.sp.SyncDir()
}

// evictIfOver evicts when the outbox is over its limits.
func (o *Outbox) evictIfOver() {
	o.mu.Lock()
	over := o.files > o.cfg.MaxFiles || o.bytes > o.cfg.MaxBytes
	o.mu.Unlock()
	if over {
		o.evict()
	}
}
