package raven

import (
	"context"
	"crypto/x509"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/ravenkit/raven/internal/httpsend"
	"github.com/ravenkit/raven/internal/ratelimit"
)

// Defaults of the HTTP transport.
const (
	// DefaultRequestTimeout bounds one HTTP request.
	DefaultRequestTimeout = httpsend.DefaultRequestTimeout
	// DefaultMaxAttempts bounds the tries of one envelope (network errors
	// and 5xx answers are retried).
	DefaultMaxAttempts = httpsend.DefaultMaxAttempts
	// DefaultRetryBudget bounds the total time spent retrying one envelope.
	DefaultRetryBudget = httpsend.DefaultRetryBudget
)

// TransportOption configures an HTTPTransport.
type TransportOption interface{ applyTransport(*httpConfig) }

type transportOptionFunc func(*httpConfig)

func (f transportOptionFunc) applyTransport(c *httpConfig) { f(c) }

type httpConfig = httpsend.Config

// withIdleConns sizes the default http.Transport's idle pool for a client
// sending n requests at once, so connections outlive a burst.
func withIdleConns(n int) TransportOption {
	return transportOptionFunc(func(c *httpConfig) { c.IdleConns = n })
}

// WithTransportLogger sets the logger for the transport's diagnostics.
func WithTransportLogger(l *slog.Logger) TransportOption {
	return transportOptionFunc(func(c *httpConfig) { c.Logger = l })
}

// WithHTTPClient sets the http.Client the transport uses, replacing the
// tuned default (proxy and CA options then do not apply). The transport
// uses a copy of hc that never follows redirects (see HTTPTransport); hc
// itself is not changed.
func WithHTTPClient(hc *http.Client) TransportOption {
	return transportOptionFunc(func(c *httpConfig) { c.Client = hc })
}

// WithGzip turns gzip compression of request bodies on or off (default on).
func WithGzip(on bool) TransportOption {
	return transportOptionFunc(func(c *httpConfig) { c.Gzip = on })
}

// WithProxy sends requests through the proxy at u; by default the proxy
// comes from HTTPS_PROXY/HTTP_PROXY/NO_PROXY.
func WithProxy(u *url.URL) TransportOption {
	return transportOptionFunc(func(c *httpConfig) { c.Proxy = u })
}

// WithCACerts verifies the server against pool instead of the system
// roots. Verification is never turned off.
func WithCACerts(pool *x509.CertPool) TransportOption {
	return transportOptionFunc(func(c *httpConfig) { c.CACerts = pool })
}

// WithRequestTimeout bounds one HTTP request (default
// DefaultRequestTimeout).
func WithRequestTimeout(d time.Duration) TransportOption {
	return transportOptionFunc(func(c *httpConfig) {
		if d > 0 {
			c.Timeout = d
		}
	})
}

// WithRetries bounds the attempts for one envelope and the total time
// spent on them (defaults DefaultMaxAttempts and DefaultRetryBudget); 1
// attempt disables retries.
func WithRetries(attempts int, budget time.Duration) TransportOption {
	return transportOptionFunc(func(c *httpConfig) {
		if attempts > 0 {
			c.MaxAttempts = attempts
		}
		if budget > 0 {
			c.Budget = budget
		}
	})
}

// WithBackoff sets the wait before retry number attempt (1-based).
func WithBackoff(b Backoff) TransportOption {
	return transportOptionFunc(func(c *httpConfig) {
		if b != nil {
			c.Backoff = b
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
	s *httpsend.Sender
}

// NewHTTPTransport returns a transport posting to the DSN's envelope
// endpoint.
func NewHTTPTransport(dsn *DSN, opts ...TransportOption) (*HTTPTransport, error) {
	if dsn == nil {
		return nil, errors.New("raven: HTTPTransport needs a DSN")
	}
	cfg := httpConfig{Gzip: true, UserAgent: "raven-go/" + SDKVersion}
	for _, o := range opts {
		if o != nil {
			o.applyTransport(&cfg)
		}
	}
	return &HTTPTransport{s: httpsend.New(dsn.EnvelopeURL(), dsn.AuthHeader(), cfg)}, nil
}

// Send posts each envelope. Envelopes of rate-limited categories are not
// sent (DropError with DropRateLimit).
func (t *HTTPTransport) Send(ctx context.Context, envs []*Envelope) error { return t.s.Send(ctx, envs) }

// RateLimited reports whether the server currently rate-limits category
// ("error" for error events).
func (t *HTTPTransport) RateLimited(category string) bool { return t.s.RateLimited(category) }

// Flush has nothing to wait for: Send is synchronous.
func (t *HTTPTransport) Flush(ctx context.Context) error { return ctx.Err() }

// Close stops retry waits in progress and releases idle connections.
func (t *HTTPTransport) Close(ctx context.Context) error { return t.s.Close(ctx) }

// DefaultRetryAfter is how long a category stays blocked after a 429
// answer that names no delay (or an unusable one).
const DefaultRetryAfter = ratelimit.DefaultRetryAfter

// WithHTTPTransportOptions configures the HTTP transport New builds for
// the DSN (gzip, proxy, CA certificates, timeouts, retries). It has no
// effect with WithTransport.
func WithHTTPTransportOptions(opts ...TransportOption) Option {
	return optionFunc(func(c *config) { c.httpOpts = append(c.httpOpts, opts...) })
}
