package raven

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"
)

// Transport delivers envelopes. Send is called from the client's sender
// goroutines, possibly concurrently, and may block until the envelopes are
// delivered or given up; it must honour ctx. It returns nil when every
// envelope was delivered; otherwise an error, which may wrap *DropError
// values (errors.Join) telling why envelopes were discarded. An error that
// is not a *DropError counts every envelope as a send_error.
type Transport interface {
	Send(ctx context.Context, envelopes []*Envelope) error
	// Flush waits for anything the transport buffers itself.
	Flush(ctx context.Context) error
	// Close releases the transport's resources.
	Close(ctx context.Context) error
}

// DropError reports envelopes a transport discarded, and why.
type DropError struct {
	Reason DropReason
	// Reported is true when the server has already recorded the outcome
	// (a 429 answer), so no client report is sent for it.
	Reported bool
	Err      error
}

// Error describes the drop.
func (e *DropError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("raven: envelope dropped (%s): %v", e.Reason, e.Err)
	}
	return fmt.Sprintf("raven: envelope dropped (%s)", e.Reason)
}

// Unwrap returns the cause.
func (e *DropError) Unwrap() error { return e.Err }

// TransportOption configures an HTTPTransport.
type TransportOption interface{ applyTransport(*httpConfig) }

type transportOptionFunc func(*httpConfig)

func (f transportOptionFunc) applyTransport(c *httpConfig) { f(c) }

// DefaultRequestTimeout bounds one HTTP request of the transport.
const DefaultRequestTimeout = 30 * time.Second

type httpConfig struct {
	client  *http.Client
	timeout time.Duration
	logger  *slog.Logger
}

// WithTransportLogger sets the logger for the transport's diagnostics.
func WithTransportLogger(l *slog.Logger) TransportOption {
	return transportOptionFunc(func(c *httpConfig) { c.logger = l })
}

// WithHTTPClient sets the http.Client the transport uses.
func WithHTTPClient(hc *http.Client) TransportOption {
	return transportOptionFunc(func(c *httpConfig) { c.client = hc })
}

// HTTPTransport posts envelopes to a Sentry-compatible server.
type HTTPTransport struct {
	dsn *DSN
	cfg httpConfig
}

// NewHTTPTransport returns a transport posting to the DSN's envelope
// endpoint.
func NewHTTPTransport(dsn *DSN, opts ...TransportOption) (*HTTPTransport, error) {
	if dsn == nil {
		return nil, errors.New("raven: HTTPTransport needs a DSN")
	}
	t := &HTTPTransport{dsn: dsn, cfg: httpConfig{timeout: DefaultRequestTimeout}}
	for _, o := range opts {
		o.applyTransport(&t.cfg)
	}
	if t.cfg.client == nil {
		t.cfg.client = &http.Client{}
	}
	if t.cfg.logger == nil {
		t.cfg.logger = slog.New(discardHandler{})
	}
	return t, nil
}

// Send posts each envelope.
func (t *HTTPTransport) Send(ctx context.Context, envs []*Envelope) error {
	var errs []error
	for _, env := range envs {
		if err := t.send(ctx, env); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (t *HTTPTransport) send(ctx context.Context, env *Envelope) error {
	body, err := env.Bytes()
	if err != nil {
		return &DropError{Reason: DropSendError, Err: err}
	}
	rctx, cancel := context.WithTimeout(ctx, t.cfg.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, t.dsn.EnvelopeURL(), bytes.NewReader(body))
	if err != nil {
		return &DropError{Reason: DropSendError, Err: err}
	}
	req.Header.Set("Content-Type", "application/x-sentry-envelope")
	req.Header.Set("X-Sentry-Auth", t.dsn.AuthHeader())
	resp, err := t.cfg.client.Do(req)
	if err != nil {
		return &DropError{Reason: DropNetworkError, Err: err}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return &DropError{Reason: DropSendError, Err: fmt.Errorf("server answered %s", resp.Status)}
	}
	return nil
}

// Flush has nothing to wait for: Send is synchronous.
func (t *HTTPTransport) Flush(ctx context.Context) error { return ctx.Err() }

// Close releases idle connections.
func (t *HTTPTransport) Close(ctx context.Context) error {
	t.cfg.client.CloseIdleConnections()
	return nil
}
