package raven

import (
	"time"

	"github.com/ravenkit/raven/internal/outbox"
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
type OutboxOption interface{ applyOutbox(*outbox.Config) }

type outboxOptionFunc func(*outbox.Config)

func (f outboxOptionFunc) applyOutbox(c *outbox.Config) { f(c) }

// WithOutboxLimits bounds the outbox to files files and bytes bytes (a
// file holds the events written together: one, or several during a
// burst); when a new file does not fit, the oldest are removed and their
// events counted as dropped with reason DropCacheOverflow. Values <= 0 keep
// the defaults.
func WithOutboxLimits(files int, bytes int64) OutboxOption {
	return outboxOptionFunc(func(c *outbox.Config) {
		if files > 0 {
			c.MaxFiles = files
		}
		if bytes > 0 {
			c.MaxBytes = bytes
		}
	})
}

// WithOutboxBackoff sets the first and the longest wait between attempts
// to re-send stored envelopes while the server is unreachable. Values <= 0
// keep the defaults.
func WithOutboxBackoff(min, max time.Duration) OutboxOption {
	return outboxOptionFunc(func(c *outbox.Config) {
		if min > 0 {
			c.MinBackoff = min
		}
		if max > 0 {
			c.MaxBackoff = max
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
		oc := &outbox.Config{Dir: dir, MaxFiles: DefaultOutboxMaxFiles, MaxBytes: DefaultOutboxMaxBytes,
			MinBackoff: DefaultOutboxMinBackoff, MaxBackoff: DefaultOutboxMaxBackoff}
		for _, o := range opts {
			if o != nil {
				o.applyOutbox(oc)
			}
		}
		c.ext.outbox = oc
	})
}
