package raven

import (
	"math/rand/v2"
	"time"
)

// Backoff returns how long to wait before retry number attempt (1 for the
// first retry).
type Backoff func(attempt int) time.Duration

// ExponentialBackoff doubles the wait from base up to max, with full
// jitter in the upper half (so that many clients retrying at once spread
// out).
func ExponentialBackoff(base, max time.Duration) Backoff {
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
