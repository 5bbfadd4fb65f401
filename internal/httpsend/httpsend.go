// Package httpsend posts envelopes to a Sentry-compatible server's
// envelope endpoint (https://develop.sentry.dev/sdk/data-model/envelopes/):
// gzip, retries with jittered backoff, the server's rate limits per data
// category, no redirects. It runs no goroutine of its own: Send runs on
// the caller's (the client's senders).
package httpsend

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ravenkit/raven/internal/delivery"
	"github.com/ravenkit/raven/internal/gzipfast"
	"github.com/ravenkit/raven/internal/protocol"
	"github.com/ravenkit/raven/internal/ratelimit"
)

// Defaults of the sender.
const (
	// DefaultRequestTimeout bounds one HTTP request.
	DefaultRequestTimeout = 30 * time.Second
	// DefaultMaxAttempts bounds the tries of one envelope (network errors
	// and 5xx answers are retried).
	DefaultMaxAttempts = 4
	// DefaultRetryBudget bounds the total time spent retrying one envelope.
	DefaultRetryBudget = 30 * time.Second
)

// Config configures a Sender; zero fields take their defaults.
type Config struct {
	// Client replaces the tuned default http.Client (Proxy and CACerts
	// then do not apply); a copy that never follows redirects is used.
	Client *http.Client
	// Timeout bounds one request.
	Timeout time.Duration
	// Logger gets the sender's diagnostics.
	Logger *slog.Logger
	// Gzip compresses request bodies.
	Gzip bool
	// Proxy, when set, replaces the proxy from the environment.
	Proxy *url.URL
	// CACerts, when set, replaces the system roots.
	CACerts *x509.CertPool
	// MaxAttempts and Budget bound the tries of one envelope and the
	// time spent on them.
	MaxAttempts int
	Budget      time.Duration
	// Backoff is the wait before retry number attempt (1-based).
	Backoff func(attempt int) time.Duration
	// CheckRetry decides whether a failed attempt is tried again.
	CheckRetry func(status int, err error) bool
	// Now is the clock (time.Now by default).
	Now func() time.Time
	// UserAgent is the User-Agent header.
	UserAgent string
	// IdleConns sizes the default transport's idle pool: one per sender
	// of the client, so connections outlive a burst.
	IdleConns int
}

// Sender posts envelopes; it is safe for concurrent use. It never follows
// a redirect (the envelope endpoint does not move, and following would
// post the envelope, credentials included, wherever the answer points). When a
// request was written in full but no answer came, the retries leave out
// the envelope's client reports and the DropError says MaybeReceived.
type Sender struct {
	url      string
	auth     string
	cfg      Config
	limits   *ratelimit.Limiter
	bufPool  sync.Pool // *bytes.Buffer: request bodies
	rawPool  sync.Pool // *[]byte: envelopes before compression
	closed   chan struct{}
	closeOne sync.Once
	// stdTransport is true when requests go through net/http's
	// *http.Transport, which reports httptrace events.
	stdTransport bool
}

// New returns a sender posting to url with the X-Sentry-Auth header auth.
// Zero fields of cfg take their defaults.
func New(url, auth string, cfg Config) *Sender {
	t := &Sender{url: url, auth: auth, closed: make(chan struct{}), cfg: cfg}
	if t.cfg.Now == nil {
		t.cfg.Now = time.Now
	}
	if t.cfg.Timeout <= 0 {
		t.cfg.Timeout = DefaultRequestTimeout
	}
	if t.cfg.MaxAttempts <= 0 {
		t.cfg.MaxAttempts = DefaultMaxAttempts
	}
	if t.cfg.Budget <= 0 {
		t.cfg.Budget = DefaultRetryBudget
	}
	if t.cfg.Backoff == nil {
		t.cfg.Backoff = ExponentialBackoff(200*time.Millisecond, 5*time.Second)
	}
	if t.cfg.CheckRetry == nil {
		t.cfg.CheckRetry = DefaultCheckRetry
	}
	if t.cfg.Client == nil {
		t.cfg.Client = &http.Client{Transport: newHTTPRoundTripper(t.cfg), CheckRedirect: NoRedirects}
	} else {
		hc := *t.cfg.Client
		hc.CheckRedirect = NoRedirects
		t.cfg.Client = &hc
	}
	switch rt := t.cfg.Client.Transport.(type) {
	case nil:
		_, t.stdTransport = http.DefaultTransport.(*http.Transport)
	case *http.Transport:
		t.stdTransport = rt != nil
	}
	if t.cfg.Logger == nil {
		t.cfg.Logger = slog.New(slog.DiscardHandler)
	}
	t.limits = ratelimit.New(t.cfg.Now)
	t.bufPool.New = func() any { return new(bytes.Buffer) }
	t.rawPool.New = func() any { b := make([]byte, 0, 8<<10); return &b }
	return t
}

// NoRedirects makes an http.Client return a 3xx answer as it is instead of
// following it: envelopes go to the DSN's endpoint or nowhere.
func NoRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// newHTTPRoundTripper is a transport tuned for a few long-lived connections
// to one host: keep-alive, HTTP/2 when offered, TLS verified.
func newHTTPRoundTripper(cfg Config) *http.Transport {
	proxy := http.ProxyFromEnvironment
	if cfg.Proxy != nil {
		proxy = http.ProxyURL(cfg.Proxy)
	}
	return &http.Transport{
		Proxy:                 proxy,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          max(16, cfg.IdleConns),
		MaxIdleConnsPerHost:   max(16, cfg.IdleConns),
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		TLSClientConfig:       &tls.Config{RootCAs: cfg.CACerts, MinVersion: tls.VersionTLS12},
	}
}

// Send posts each envelope. Envelopes of rate-limited categories are not
// sent (a DropError with DropRateLimit).
func (t *Sender) Send(ctx context.Context, envs []*protocol.Envelope) error {
	var errs []error
	for _, env := range envs {
		if err := t.send(ctx, env); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (t *Sender) send(ctx context.Context, env *protocol.Envelope) error {
	out, limited := t.limits.Filter(env)
	if out == nil {
		return &delivery.DropError{Reason: delivery.DropRateLimit, Err: fmt.Errorf("rate limited: %v", limited)}
	}
	body, err := t.encode(out)
	if err != nil {
		return &delivery.DropError{Reason: delivery.DropSendError, Err: err}
	}
	defer func() { t.bufPool.Put(body) }()
	start := t.cfg.Now()
	maybeReceived := false
	for attempt := 1; ; attempt++ {
		res, err := t.post(ctx, body.Bytes())
		status := res.status
		switch {
		case err == nil && status/100 == 2:
			return nil
		case err == nil && status/100 == 3:
			t.cfg.Logger.Warn("raven: the server redirects envelopes elsewhere; not following (check the DSN)",
				slog.Int("status", status), slog.String("url", t.url), slog.String("location", res.location))
			return &delivery.DropError{Reason: delivery.DropSendError, Status: status, MaybeReceived: maybeReceived,
				Err: fmt.Errorf("server answered %d redirecting to %q: redirects are not followed", status, res.location)}
		case err == nil && status == http.StatusTooManyRequests:
			return &delivery.DropError{Reason: delivery.DropRateLimit, Reported: true, Status: status, MaybeReceived: maybeReceived, Err: errors.New("server answered 429")}
		case err == nil && status == http.StatusRequestEntityTooLarge:
			return &delivery.DropError{Reason: delivery.DropSendError, Status: status, MaybeReceived: maybeReceived, Err: errors.New("server answered 413: envelope too large")}
		case !t.cfg.CheckRetry(status, err):
			if err != nil {
				return &delivery.DropError{Reason: delivery.DropNetworkError, MaybeReceived: maybeReceived || res.maybeReceived, Err: err}
			}
			return &delivery.DropError{Reason: delivery.DropSendError, Status: status, MaybeReceived: maybeReceived, Err: fmt.Errorf("server answered %d", status)}
		}
		reason := delivery.DropSendError
		if err != nil {
			reason = delivery.DropNetworkError
		} else {
			err = fmt.Errorf("server answered %d", status)
		}
		if res.maybeReceived && !maybeReceived {
			// The server may hold this envelope: its client reports count
			// as sent, and the retries go without them.
			maybeReceived = true
			rest := withoutReports(out)
			if rest == nil {
				return &delivery.DropError{Reason: reason, MaybeReceived: true, Err: fmt.Errorf("client report may have been received: %w", err)}
			}
			if rest != out {
				out = rest
				nb, eerr := t.encode(out)
				if eerr != nil {
					return &delivery.DropError{Reason: delivery.DropSendError, MaybeReceived: true, Err: eerr}
				}
				t.bufPool.Put(body)
				body = nb
			}
		}
		if ctx.Err() != nil {
			return &delivery.DropError{Reason: delivery.DropNetworkError, MaybeReceived: maybeReceived, Err: err}
		}
		wait := t.cfg.Backoff(attempt)
		if attempt >= t.cfg.MaxAttempts || t.cfg.Now().Add(wait).Sub(start) > t.cfg.Budget {
			return &delivery.DropError{Reason: reason, Status: status, MaybeReceived: maybeReceived, Err: fmt.Errorf("after %d attempts: %w", attempt, err)}
		}
		t.cfg.Logger.Debug("raven: retrying envelope", slog.Int("attempt", attempt), slog.Duration("wait", wait), slog.Any("error", err))
		timer := time.NewTimer(wait)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return &delivery.DropError{Reason: delivery.DropNetworkError, MaybeReceived: maybeReceived, Err: fmt.Errorf("%w (gave up: %v)", err, ctx.Err())}
		case <-t.closed:
			timer.Stop()
			return &delivery.DropError{Reason: reason, Status: status, MaybeReceived: maybeReceived, Err: fmt.Errorf("%w (transport closed)", err)}
		}
	}
}

// withoutReports returns env without its client_report items: env itself
// when it has none, nil when nothing else is left.
func withoutReports(env *protocol.Envelope) *protocol.Envelope {
	keep := make([]protocol.EnvelopeItem, 0, len(env.Items))
	for _, it := range env.Items {
		if it.Type != protocol.ItemClientReport {
			keep = append(keep, it)
		}
	}
	switch {
	case len(keep) == len(env.Items):
		return env
	case len(keep) == 0:
		return nil
	}
	cp := *env
	cp.Items = keep
	return &cp
}

// encode writes the envelope, gzip-compressed when enabled, into a pooled
// buffer the caller returns to t.bufPool.
func (t *Sender) encode(env *protocol.Envelope) (*bytes.Buffer, error) {
	rawp := t.rawPool.Get().(*[]byte)
	defer t.rawPool.Put(rawp)
	raw, err := env.AppendTo((*rawp)[:0])
	*rawp = raw[:0] // keep what it grew to
	if err != nil {
		return nil, err
	}
	buf := t.bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	if !t.cfg.Gzip {
		buf.Write(raw)
		return buf, nil
	}
	// gzipfast.Append writes in place once the pooled buffer is large enough
	buf.Write(gzipfast.Append(buf.AvailableBuffer(), raw))
	return buf, nil
}

// postResult is what one request gave besides its error.
type postResult struct {
	status   int
	location string // Location header of a 3xx answer
	// maybeReceived is true when no answer came after the request was
	// written in full, or when it cannot be told whether it was written
	// (a round tripper other than net/http's that reports no httptrace
	// events).
	maybeReceived bool
}

// post makes one request and applies the rate limits of its answer.
func (t *Sender) post(ctx context.Context, body []byte) (postResult, error) {
	rctx, cancel := context.WithTimeout(ctx, t.cfg.Timeout)
	defer cancel()
	// Whether the request left: net/http reports the connection it got
	// and when the request was written.
	var traced, wrote atomic.Bool
	rctx = httptrace.WithClientTrace(rctx, &httptrace.ClientTrace{
		GetConn: func(string) { traced.Store(true) },
		WroteRequest: func(i httptrace.WroteRequestInfo) {
			if i.Err == nil {
				wrote.Store(true)
			}
		},
	})
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, t.url, bytes.NewReader(body))
	if err != nil {
		return postResult{}, err
	}
	req.Header.Set("Content-Type", "application/x-sentry-envelope")
	req.Header.Set("X-Sentry-Auth", t.auth)
	req.Header.Set("User-Agent", t.cfg.UserAgent)
	if t.cfg.Gzip {
		req.Header.Set("Content-Encoding", "gzip")
	}
	resp, err := t.cfg.Client.Do(req)
	if err != nil {
		// net/http's own transport reports the connection it gets; a
		// request it did not write never left. A round tripper of the
		// user's that reported nothing leaves it unknown.
		return postResult{maybeReceived: wrote.Load() || !traced.Load() && !t.stdTransport}, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	t.limits.Update(resp.StatusCode, resp.Header)
	res := postResult{status: resp.StatusCode}
	if resp.StatusCode/100 == 3 {
		res.location = resp.Header.Get("Location")
	}
	return res, nil
}

// RateLimited reports whether the server currently rate-limits category
// ("error" for error events).
func (t *Sender) RateLimited(category string) bool { return t.limits.Blocked(category) }

// Flush has nothing to wait for: Send is synchronous.
func (t *Sender) Flush(ctx context.Context) error { return ctx.Err() }

// Close stops retry waits in progress and releases idle connections.
func (t *Sender) Close(ctx context.Context) error {
	t.closeOne.Do(func() { close(t.closed) })
	t.cfg.Client.CloseIdleConnections()
	return nil
}

// ExponentialBackoff doubles the wait from base up to max, with full
// jitter in the upper half (so that many clients retrying at once spread
// out).
func ExponentialBackoff(base, max time.Duration) func(int) time.Duration {
	return func(attempt int) time.Duration {
		d := base
		for i := 1; i < attempt && d < max; i++ {
			d *= 2
		}
		d = min(d, max)
		if d <= 1 {
			return d
		}
		half := d / 2
		return half + time.Duration(rand.Int64N(int64(half)+1))
	}
}

// DefaultCheckRetry retries network errors and 5xx answers; 4xx answers
// (413 and 429 included) are final.
func DefaultCheckRetry(status int, err error) bool {
	return err != nil || status >= 500
}
