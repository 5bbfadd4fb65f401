package raven

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ravenkit/raven/internal/gzipfast"
	"github.com/ravenkit/raven/internal/ratelimit"
)

// Defaults of the HTTP transport.
const (
	// DefaultRequestTimeout bounds one HTTP request.
	DefaultRequestTimeout = 30 * time.Second
	// DefaultMaxAttempts bounds the tries of one envelope (network errors
	// and 5xx answers are retried).
	DefaultMaxAttempts = 4
	// DefaultRetryBudget bounds the total time spent retrying one envelope.
	DefaultRetryBudget = 30 * time.Second
)

// TransportOption configures an HTTPTransport.
type TransportOption interface{ applyTransport(*httpConfig) }

type transportOptionFunc func(*httpConfig)

func (f transportOptionFunc) applyTransport(c *httpConfig) { f(c) }

type httpConfig struct {
	client      *http.Client
	timeout     time.Duration
	logger      *slog.Logger
	gzip        bool
	proxy       *url.URL
	caCerts     *x509.CertPool
	maxAttempts int
	budget      time.Duration
	backoff     Backoff
	checkRetry  CheckRetry
	now         func() time.Time
	userAgent   string
	idleConns   int // idle connections kept: one per sender of the client
}

// withIdleConns sizes the default http.Transport's idle pool for a client
// sending n requests at once, so connections outlive a burst.
func withIdleConns(n int) TransportOption {
	return transportOptionFunc(func(c *httpConfig) { c.idleConns = n })
}

// WithTransportLogger sets the logger for the transport's diagnostics.
func WithTransportLogger(l *slog.Logger) TransportOption {
	return transportOptionFunc(func(c *httpConfig) { c.logger = l })
}

// WithHTTPClient sets the http.Client the transport uses, replacing the
// tuned default (proxy and CA options then do not apply). The transport
// uses a copy of hc that never follows redirects (see HTTPTransport); hc
// itself is not changed.
func WithHTTPClient(hc *http.Client) TransportOption {
	return transportOptionFunc(func(c *httpConfig) { c.client = hc })
}

// WithGzip turns gzip compression of request bodies on or off (default on).
func WithGzip(on bool) TransportOption {
	return transportOptionFunc(func(c *httpConfig) { c.gzip = on })
}

// WithProxy sends requests through the proxy at u; by default the proxy
// comes from HTTPS_PROXY/HTTP_PROXY/NO_PROXY.
func WithProxy(u *url.URL) TransportOption {
	return transportOptionFunc(func(c *httpConfig) { c.proxy = u })
}

// WithCACerts verifies the server against pool instead of the system
// roots. Verification is never turned off.
func WithCACerts(pool *x509.CertPool) TransportOption {
	return transportOptionFunc(func(c *httpConfig) { c.caCerts = pool })
}

// WithRequestTimeout bounds one HTTP request (default
// DefaultRequestTimeout).
func WithRequestTimeout(d time.Duration) TransportOption {
	return transportOptionFunc(func(c *httpConfig) {
		if d > 0 {
			c.timeout = d
		}
	})
}

// WithRetries bounds the attempts for one envelope and the total time
// spent on them (defaults DefaultMaxAttempts and DefaultRetryBudget); 1
// attempt disables retries.
func WithRetries(attempts int, budget time.Duration) TransportOption {
	return transportOptionFunc(func(c *httpConfig) {
		if attempts > 0 {
			c.maxAttempts = attempts
		}
		if budget > 0 {
			c.budget = budget
		}
	})
}

// WithBackoff sets the wait before retry number attempt (1-based).
func WithBackoff(b Backoff) TransportOption {
	return transportOptionFunc(func(c *httpConfig) {
		if b != nil {
			c.backoff = b
		}
	})
}

// HTTPTransport posts envelopes to a Sentry-compatible server's envelope
// endpoint: gzip-compressed, retried on network errors and 5xx answers,
// honouring the server's rate limits. It is safe for concurrent use and
// starts no goroutine of its own.
//
// It never follows a redirect: the envelope endpoint does not move, and
// following one would turn the POST into a GET (301, 302, 303) or post the
// envelope, credentials included, wherever the answer points (307, 308).
// A 3xx answer drops the envelope as a send_error, not retried, and the
// transport's logger gets a warning with the Location, which usually
// means a wrong DSN (a http:// DSN for an https:// server, a missing path
// prefix).
//
// When a request was written in full but no answer came, the server may
// have stored the envelope. The retries of such an envelope leave out its
// client reports (and an envelope holding nothing else is not retried),
// and the DropError says MaybeReceived, so that the client does not send
// those reports again: a drop reaches the server in at most one client
// report. The event itself is retried, as the server drops a second copy
// of an event id it already has.
type HTTPTransport struct {
	dsn      *DSN
	url      string
	auth     string
	cfg      httpConfig
	limits   *ratelimit.Limiter
	bufPool  sync.Pool // *bytes.Buffer: request bodies
	rawPool  sync.Pool // *[]byte: envelopes before compression
	closed   chan struct{}
	closeOne sync.Once
	// stdTransport is true when requests go through net/http's
	// *http.Transport, which reports httptrace events.
	stdTransport bool
}

// NewHTTPTransport returns a transport posting to the DSN's envelope
// endpoint.
func NewHTTPTransport(dsn *DSN, opts ...TransportOption) (*HTTPTransport, error) {
	if dsn == nil {
		return nil, errors.New("raven: HTTPTransport needs a DSN")
	}
	t := &HTTPTransport{dsn: dsn, url: dsn.EnvelopeURL(), auth: dsn.AuthHeader(), closed: make(chan struct{}),
		cfg: httpConfig{timeout: DefaultRequestTimeout, gzip: true, maxAttempts: DefaultMaxAttempts,
			budget: DefaultRetryBudget, backoff: ExponentialBackoff(200*time.Millisecond, 5*time.Second), checkRetry: DefaultCheckRetry,
			userAgent: "raven-go/" + SDKVersion}}
	for _, o := range opts {
		if o != nil {
			o.applyTransport(&t.cfg)
		}
	}
	if t.cfg.now == nil {
		t.cfg.now = time.Now
	}
	if t.cfg.client == nil {
		t.cfg.client = &http.Client{Transport: newHTTPRoundTripper(t.cfg), CheckRedirect: noRedirects}
	} else {
		hc := *t.cfg.client
		hc.CheckRedirect = noRedirects
		t.cfg.client = &hc
	}
	switch rt := t.cfg.client.Transport.(type) {
	case nil:
		_, t.stdTransport = http.DefaultTransport.(*http.Transport)
	case *http.Transport:
		t.stdTransport = rt != nil
	}
	if t.cfg.logger == nil {
		t.cfg.logger = slog.New(discardHandler{})
	}
	t.limits = ratelimit.New(t.cfg.now)
	t.bufPool.New = func() any { return new(bytes.Buffer) }
	t.rawPool.New = func() any { b := make([]byte, 0, 8<<10); return &b }
	return t, nil
}

// noRedirects makes an http.Client return a 3xx answer as it is instead of
// following it: envelopes go to the DSN's endpoint or nowhere.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// newHTTPRoundTripper is a transport tuned for a few long-lived connections
// to one host: keep-alive, HTTP/2 when offered, TLS verified.
func newHTTPRoundTripper(cfg httpConfig) *http.Transport {
	proxy := http.ProxyFromEnvironment
	if cfg.proxy != nil {
		proxy = http.ProxyURL(cfg.proxy)
	}
	return &http.Transport{
		Proxy:                 proxy,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          max(16, cfg.idleConns),
		MaxIdleConnsPerHost:   max(16, cfg.idleConns),
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		TLSClientConfig:       &tls.Config{RootCAs: cfg.caCerts, MinVersion: tls.VersionTLS12},
	}
}

// Send posts each envelope. Envelopes of rate-limited categories are not
// sent (DropError with DropRateLimit).
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
	out, limited := t.limits.Filter(env)
	if out == nil {
		return &DropError{Reason: DropRateLimit, Err: fmt.Errorf("rate limited: %v", limited)}
	}
	body, err := t.encode(out)
	if err != nil {
		return &DropError{Reason: DropSendError, Err: err}
	}
	defer func() { t.bufPool.Put(body) }()
	start := t.cfg.now()
	maybeReceived := false
	for attempt := 1; ; attempt++ {
		res, err := t.post(ctx, body.Bytes())
		status := res.status
		switch {
		case err == nil && status/100 == 2:
			return nil
		case err == nil && status/100 == 3:
			t.cfg.logger.Warn("raven: the server redirects envelopes elsewhere; not following (check the DSN)",
				slog.Int("status", status), slog.String("url", t.url), slog.String("location", res.location))
			return &DropError{Reason: DropSendError, Status: status, MaybeReceived: maybeReceived,
				Err: fmt.Errorf("server answered %d redirecting to %q: redirects are not followed", status, res.location)}
		case err == nil && status == http.StatusTooManyRequests:
			return &DropError{Reason: DropRateLimit, Reported: true, Status: status, MaybeReceived: maybeReceived, Err: errors.New("server answered 429")}
		case err == nil && status == http.StatusRequestEntityTooLarge:
			return &DropError{Reason: DropSendError, Status: status, MaybeReceived: maybeReceived, Err: errors.New("server answered 413: envelope too large")}
		case !t.cfg.checkRetry(status, err):
			if err != nil {
				return &DropError{Reason: DropNetworkError, MaybeReceived: maybeReceived || res.maybeReceived, Err: err}
			}
			return &DropError{Reason: DropSendError, Status: status, MaybeReceived: maybeReceived, Err: fmt.Errorf("server answered %d", status)}
		}
		reason := DropSendError
		if err != nil {
			reason = DropNetworkError
		} else {
			err = fmt.Errorf("server answered %d", status)
		}
		if res.maybeReceived && !maybeReceived {
			// The server may hold this envelope: its client reports count
			// as sent, and the retries go without them.
			maybeReceived = true
			rest := withoutReports(out)
			if rest == nil {
				return &DropError{Reason: reason, MaybeReceived: true, Err: fmt.Errorf("client report may have been received: %w", err)}
			}
			if rest != out {
				out = rest
				nb, eerr := t.encode(out)
				if eerr != nil {
					return &DropError{Reason: DropSendError, MaybeReceived: true, Err: eerr}
				}
				t.bufPool.Put(body)
				body = nb
			}
		}
		if ctx.Err() != nil {
			return &DropError{Reason: DropNetworkError, MaybeReceived: maybeReceived, Err: err}
		}
		wait := t.cfg.backoff(attempt)
		if attempt >= t.cfg.maxAttempts || t.cfg.now().Add(wait).Sub(start) > t.cfg.budget {
			return &DropError{Reason: reason, Status: status, MaybeReceived: maybeReceived, Err: fmt.Errorf("after %d attempts: %w", attempt, err)}
		}
		t.cfg.logger.Debug("raven: retrying envelope", slog.Int("attempt", attempt), slog.Duration("wait", wait), slog.Any("error", err))
		timer := time.NewTimer(wait)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return &DropError{Reason: DropNetworkError, MaybeReceived: maybeReceived, Err: fmt.Errorf("%w (gave up: %v)", err, ctx.Err())}
		case <-t.closed:
			timer.Stop()
			return &DropError{Reason: reason, Status: status, MaybeReceived: maybeReceived, Err: fmt.Errorf("%w (transport closed)", err)}
		}
	}
}

// withoutReports returns env without its client_report items: env itself
// when it has none, nil when nothing else is left.
func withoutReports(env *Envelope) *Envelope {
	keep := make([]EnvelopeItem, 0, len(env.Items))
	for _, it := range env.Items {
		if it.Type != ItemClientReport {
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
func (t *HTTPTransport) encode(env *Envelope) (*bytes.Buffer, error) {
	rawp := t.rawPool.Get().(*[]byte)
	defer t.rawPool.Put(rawp)
	raw, err := env.AppendTo((*rawp)[:0])
	*rawp = raw[:0] // keep what it grew to
	if err != nil {
		return nil, err
	}
	buf := t.bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	if !t.cfg.gzip {
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
func (t *HTTPTransport) post(ctx context.Context, body []byte) (postResult, error) {
	rctx, cancel := context.WithTimeout(ctx, t.cfg.timeout)
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
	req.Header.Set("User-Agent", t.cfg.userAgent)
	if t.cfg.gzip {
		req.Header.Set("Content-Encoding", "gzip")
	}
	resp, err := t.cfg.client.Do(req)
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
func (t *HTTPTransport) RateLimited(category string) bool { return t.limits.Blocked(category) }

// Flush has nothing to wait for: Send is synchronous.
func (t *HTTPTransport) Flush(ctx context.Context) error { return ctx.Err() }

// Close stops retry waits in progress and releases idle connections.
func (t *HTTPTransport) Close(ctx context.Context) error {
	t.closeOne.Do(func() { close(t.closed) })
	t.cfg.client.CloseIdleConnections()
	return nil
}

// DefaultRetryAfter is how long a category stays blocked after a 429
// answer that names no delay (or an unusable one).
const DefaultRetryAfter = ratelimit.DefaultRetryAfter
