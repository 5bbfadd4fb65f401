package raven

import "golang.org/x/time/rate"

// WithFingerprintRateLimit lets at most perSecond events (bursts of burst)
// with the same fingerprint through; later copies are dropped and counted
// as ratelimit_backoff. The fingerprint is the event's own when set, else
// its exception types and values, its message and the innermost in-app
// frame. Off by default: a default limit would also thin out the repeated
// identical events of load tests and benchmarks without being asked to.
func WithFingerprintRateLimit(perSecond float64, burst int) Option {
	return optionFunc(func(c *config) {
		if perSecond > 0 && burst > 0 {
			c.fpLimit, c.fpBurst = rate.Limit(perSecond), burst
		}
	})
}
