package raven

import (
	"time"

	"github.com/ravenkit/raven/internal/httpsend"
)

// Backoff returns how long to wait before retry number attempt (1 for the
// first retry).
type Backoff func(attempt int) time.Duration

// ExponentialBackoff doubles the wait from base up to max, with full
// jitter in the upper half (so that many clients retrying at once spread
// out).
func ExponentialBackoff(base, max time.Duration) Backoff {
	return httpsend.ExponentialBackoff(base, max)
}

// CheckRetry decides whether a failed attempt is tried again: status is
// the server's answer (0 when none came) and err the network error (nil
// when the server answered).
type CheckRetry func(status int, err error) bool

// DefaultCheckRetry retries network errors and 5xx answers; 4xx answers
// (413 and 429 included) are final.
func DefaultCheckRetry(status int, err error) bool { return httpsend.DefaultCheckRetry(status, err) }

// WithCheckRetry replaces DefaultCheckRetry.
func WithCheckRetry(f CheckRetry) TransportOption {
	return transportOptionFunc(func(c *httpConfig) {
		if f != nil {
			c.CheckRetry = f
		}
	})
}
