package raven

import (
	"context"
	"errors"
	"fmt"
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
	r, err := outbox.FlushDir(ctx, outbox.Config{Dir: dir, MaxFiles: DefaultOutboxMaxFiles, MaxBytes: DefaultOutboxMaxBytes}, d, t)
	if err != nil {
		return res, err
	}
	res = OutboxResult{Delivered: r.Delivered, Dropped: r.Dropped, Left: r.Left, Busy: r.Busy, SetAside: r.SetAside}
	switch {
	case r.Failed && r.LastErr != nil:
		return res, r.LastErr
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
