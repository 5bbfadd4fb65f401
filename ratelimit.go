package raven

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultRetryAfter is how long a category stays blocked after a 429
// answer that names no duration.
const DefaultRetryAfter = 60 * time.Second

// maxRetryAfter bounds what a server can ask for, so that a bogus header
// cannot silence the SDK for days.
const maxRetryAfter = 24 * time.Hour

// rateLimits maps a category ("" for all categories) to the time until
// which it is blocked.
type rateLimits map[string]time.Time

// parseRateLimits reads an X-Sentry-Rate-Limits value:
// retry_after:categories:scope[:reason[:namespaces]], comma separated,
// categories separated by ';', none meaning every category. Malformed
// entries are skipped. The longest limit for a category wins.
func parseRateLimits(s string, now time.Time) rateLimits {
	out := rateLimits{}
	for _, entry := range strings.Split(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		parts := strings.Split(entry, ":")
		secs, err := strconv.ParseFloat(strings.TrimSpace(parts[0]), 64)
		if err != nil || secs < 0 || secs != secs {
			continue
		}
		d := time.Duration(min(secs, maxRetryAfter.Seconds()) * float64(time.Second))
		until := now.Add(d)
		var cats []string
		if len(parts) > 1 {
			for _, c := range strings.Split(parts[1], ";") {
				if c = strings.ToLower(strings.TrimSpace(c)); c != "" {
					cats = append(cats, c)
				}
			}
		}
		if len(cats) == 0 {
			cats = []string{""}
		}
		for _, c := range cats {
			if until.After(out[c]) {
				out[c] = until
			}
		}
	}
	return out
}

// parseRetryAfter reads a Retry-After value: seconds or an HTTP date.
// Anything else gives DefaultRetryAfter.
func parseRetryAfter(s string, now time.Time) time.Duration {
	s = strings.TrimSpace(s)
	if secs, err := strconv.ParseFloat(s, 64); err == nil && secs >= 0 && secs == secs {
		return time.Duration(min(secs, maxRetryAfter.Seconds()) * float64(time.Second))
	}
	if t, err := http.ParseTime(s); err == nil {
		if d := t.Sub(now); d > 0 {
			return min(d, maxRetryAfter)
		}
		return 0
	}
	return DefaultRetryAfter
}

// limiter holds the rate limits the server announced. Safe for concurrent
// use.
type limiter struct {
	mu     sync.Mutex
	limits rateLimits
	now    func() time.Time
}

func newLimiter(now func() time.Time) *limiter {
	if now == nil {
		now = time.Now
	}
	return &limiter{limits: rateLimits{}, now: now}
}

// update applies a response's headers: X-Sentry-Rate-Limits on any answer,
// else Retry-After (or DefaultRetryAfter) on a 429.
func (l *limiter) update(status int, h http.Header) {
	now := l.now()
	var fresh rateLimits
	if v := h.Get("X-Sentry-Rate-Limits"); v != "" {
		fresh = parseRateLimits(v, now)
	} else if status == http.StatusTooManyRequests {
		fresh = rateLimits{"": now.Add(parseRetryAfter(h.Get("Retry-After"), now))}
	}
	if len(fresh) == 0 {
		return
	}
	l.mu.Lock()
	for c, t := range fresh {
		if t.After(l.limits[c]) {
			l.limits[c] = t
		}
	}
	l.mu.Unlock()
}

// blocked reports whether a category is rate limited now.
func (l *limiter) blocked(category string) bool {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.limits) == 0 {
		return false
	}
	return now.Before(l.limits[""]) || now.Before(l.limits[category])
}

// filter removes the items of limited categories from env. It returns the
// envelope to send (nil when nothing is left) and how many events were
// removed, by category.
func (l *limiter) filter(env *Envelope) (*Envelope, map[string]int) {
	var dropped map[string]int
	keep := env.Items[:0:0]
	for _, it := range env.Items {
		if l.blocked(it.Category()) {
			if it.Events > 0 {
				if dropped == nil {
					dropped = map[string]int{}
				}
				dropped[it.Category()] += it.Events
			}
			continue
		}
		keep = append(keep, it)
	}
	if len(keep) == len(env.Items) {
		return env, nil
	}
	if len(keep) == 0 || onlyReports(keep) {
		return nil, dropped
	}
	cp := *env
	cp.Items = keep
	return &cp, dropped
}

func onlyReports(items []EnvelopeItem) bool {
	for _, it := range items {
		if it.Type != ItemClientReport {
			return false
		}
	}
	return true
}
