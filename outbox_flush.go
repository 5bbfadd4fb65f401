package raven

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/ravenkit/raven/internal/outbox"
)

// OutboxResult summarises a FlushOutbox run.
type OutboxResult struct {
	Delivered int // events delivered (files removed)
	Dropped   int // events the server refused for good (files removed)
	Left      int // envelope files still in the directory
	// Busy is how many files another running process had claimed: they
	// were not taken.
	Busy int
	// SetAside is how many files were not sent: written for another DSN
	// (left in place), or unreadable or unsafe (moved to the quarantine
	// subdirectory).
	SetAside int
}

// ErrOutboxIncomplete is wrapped by the error FlushOutbox returns when it
// could not take every file: some were claimed by a running process or
// set aside.
var ErrOutboxIncomplete = errors.New("raven: outbox: files left")

// FlushOutbox sends the envelopes stored in the outbox directory dir once,
// oldest first, to dsn (required). Only envelopes written for dsn (the same
// public key and project) are sent: a file naming another DSN is left in
// place. Delivered files and files the server refuses for good (4xx other
// than 429) are removed; unreadable or unsafe files are moved to the
// quarantine subdirectory. It stops at the first failure that may pass
// (network, 5xx, 429) and returns it, leaving the rest for later. When
// files were claimed by another running process or set aside, the error
// wraps ErrOutboxIncomplete and the result says how many.
func FlushOutbox(ctx context.Context, dir, dsn string, opts ...TransportOption) (OutboxResult, error) {
	var res OutboxResult
	if dsn == "" {
		return res, errors.New("raven: outbox: a DSN is required: only envelopes written for it are sent")
	}
	d, err := ParseDSN(dsn)
	if err != nil {
		return res, err
	}
	if _, err := os.Stat(dir); err != nil {
		return res, fmt.Errorf("raven: outbox: %w", err)
	}
	t, err := NewHTTPTransport(d, opts...)
	if err != nil {
		return res, err
	}
	defer t.Close(context.Background())
	c := &Client{cfg: defaultConfig()}
	c.cfg.logger = slog.New(slog.DiscardHandler)
	var lastErr error
	send := transportFunc(func(ctx context.Context, env *Envelope) error {
		err := t.Send(ctx, []*Envelope{env})
		if err != nil {
			lastErr = err
		}
		return err
	})
	o, err := outbox.New(outbox.Config{Dir: dir, MaxFiles: DefaultOutboxMaxFiles, MaxBytes: DefaultOutboxMaxBytes},
		send, (*ledger)(c), c.cfg.logger, d, 1)
	if err != nil {
		return res, err
	}
	r := o.FlushOnce(ctx)
	st := c.Stats()
	res.Delivered = int(st.Delivered)
	res.Dropped = int(st.DroppedTotal())
	res.Busy = r.Busy
	res.SetAside = r.SetAside
	res.Left = o.Left()
	switch {
	case r.Failed && lastErr != nil:
		return res, lastErr
	case r.Failed:
		return res, fmt.Errorf("raven: outbox: %d envelopes not delivered", res.Left)
	case ctx.Err() != nil:
		return res, ctx.Err()
	case r.Busy > 0 || r.SetAside > 0:
		return res, fmt.Errorf("%w: %d claimed by a running process, %d set aside (another DSN, unreadable or unsafe)",
			ErrOutboxIncomplete, r.Busy, r.SetAside)
	}
	return res, nil
}

// transportFunc sends one envelope at a time.
type transportFunc func(ctx context.Context, env *Envelope) error

func (f transportFunc) Send(ctx context.Context, envs []*Envelope) error {
	var errs []error
	for _, env := range envs {
		if err := f(ctx, env); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
func (transportFunc) Flush(context.Context) error { return nil }
func (transportFunc) Close(context.Context) error { return nil }
