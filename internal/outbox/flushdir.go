package outbox

import (
	"context"
	"errors"
	"log/slog"

	"github.com/ravenkit/raven/internal/delivery"
	"github.com/ravenkit/raven/internal/protocol"
)

// DirResult is what FlushDir did.
type DirResult struct {
	// Delivered and Dropped count events; Left, Busy and SetAside files.
	Delivered, Dropped, Left, Busy, SetAside int
	// Failed: a send failed in a way that may pass; LastErr is its error.
	Failed  bool
	LastErr error
}

// FlushDir sends the envelopes stored in dir for dsn once, oldest first,
// through send, with no client: no goroutine is left behind. It stops at
// the first failure that may pass.
func FlushDir(ctx context.Context, cfg Config, dsn *protocol.DSN, send delivery.Transport) (DirResult, error) {
	var res DirResult
	var counters delivery.Counters
	counters.OnDrop = func(d delivery.Drop, _ bool) { counters.CountDrop(d) }
	t := recordingTransport{Transport: send, last: &res.LastErr}
	o, err := New(cfg, t, &counters, slog.New(slog.DiscardHandler), dsn, 1)
	if err != nil {
		return res, err
	}
	r := o.FlushOnce(ctx)
	st := counters.Snapshot(0)
	res.Delivered, res.Dropped = int(st.Delivered), int(st.DroppedTotal())
	res.Busy, res.SetAside, res.Left, res.Failed = r.Busy, r.SetAside, o.Left(), r.Failed
	return res, nil
}

// recordingTransport keeps the last error of its transport.
type recordingTransport struct {
	delivery.Transport
	last *error
}

// Send sends one envelope at a time, keeping the last error.
func (t recordingTransport) Send(ctx context.Context, envs []*protocol.Envelope) error {
	var errs []error
	for _, env := range envs {
		if err := t.Transport.Send(ctx, []*protocol.Envelope{env}); err != nil {
			*t.last = err
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
