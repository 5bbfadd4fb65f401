// Package ratelimit keeps the rate limits a Sentry-compatible server
// announces (X-Sentry-Rate-Limits, Retry-After) per data category, and
// filters envelopes against them.
// https://develop.sentry.dev/sdk/expected-features/rate-limiting/
package ratelimit

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ravenkit/raven/internal/protocol"
)

// DefaultRetryAfter is how long a category stays blocked after a 429
// answer that names no duration.
const DefaultRetryAfter = 60 * time.Second

// maxRetryAfter bounds what a server can ask for, so that a bogus header
// cannot silence the SDK for days.
const maxRetryAfter = 24 * time.Hour

// dataCategory is one of the protocol's data categories, the unit rate
// limits apply to (develop.sentry.dev/sdk/expected-features/rate-limiting/
// and Relay's DataCategory). Categories index fixed arrays so that a
// per-category pipeline can look its limit up without a map or a lock on
// anything but the limiter.
type dataCategory uint8

// The data categories the SDK knows. catAll stands for "every category",
// an entry of X-Sentry-Rate-Limits naming no category or a 429 without it.
const (
	catAll dataCategory = iota
	catDefault
	catError
	catTransaction
	catSpan
	catLogItem
	catLogByte
	catSession
	catAttachment
	catAttachmentItem
	catMonitor
	catFeedback
	catProfile
	catProfileChunk
	catReplay
	catSecurity
	catMetricBucket
	catTraceMetric
	catInternal
	numCategories
)

// categoryNames are the names categories have on the wire, in
// X-Sentry-Rate-Limits and in client reports.
var categoryNames = [numCategories]string{
	catAll:            "",
	catDefault:        "default",
	catError:          "error",
	catTransaction:    "transaction",
	catSpan:           "span",
	catLogItem:        "log_item",
	catLogByte:        "log_byte",
	catSession:        "session",
	catAttachment:     "attachment",
	catAttachmentItem: "attachment_item",
	catMonitor:        "monitor",
	catFeedback:       "feedback",
	catProfile:        "profile",
	catProfileChunk:   "profile_chunk",
	catReplay:         "replay",
	catSecurity:       "security",
	catMetricBucket:   "metric_bucket",
	catTraceMetric:    "trace_metric",
	catInternal:       "internal",
}

// String is the category's wire name ("" for catAll).
func (c dataCategory) String() string {
	if c < numCategories {
		return categoryNames[c]
	}
	return ""
}

// categoryByName maps a wire name to its category; ok is false for a name
// the SDK does not know, which rate limits ignore.
func categoryByName(name string) (c dataCategory, ok bool) {
	if name == "" {
		return catAll, false
	}
	for i := catAll + 1; i < numCategories; i++ {
		if categoryNames[i] == name {
			return i, true
		}
	}
	return catAll, false
}

// alsoLimitedBy names, for a category, another category whose limit
// applies to it too: logs are limited by count and by bytes, attachments
// by bytes and by count.
var alsoLimitedBy = [numCategories]dataCategory{
	catLogItem:    catLogByte,
	catAttachment: catAttachmentItem,
}

// rateLimits holds, per category, the time until which it is blocked; the
// zero time means not limited.
type rateLimits [numCategories]time.Time

// merge keeps, per category, the later of the two limits.
func (r *rateLimits) merge(o *rateLimits) {
	for i := range r {
		if o[i].After(r[i]) {
			r[i] = o[i]
		}
	}
}

// empty reports whether no category is limited.
func (r *rateLimits) empty() bool {
	for i := range r {
		if !r[i].IsZero() {
			return false
		}
	}
	return true
}

// parseRateLimits reads an X-Sentry-Rate-Limits value:
// retry_after:categories:scope[:reason[:namespaces]], comma separated,
// categories separated by ';', none meaning every category
// (develop.sentry.dev/sdk/expected-features/rate-limiting/). Category names
// the SDK does not know are ignored, as the spec asks, and an entry naming
// only unknown categories limits nothing (it must not become a limit on
// every category). A retry_after that is not a finite number of seconds
// of at least zero (inf, nan, garbage) limits nothing either, as in the
// other SDKs; a huge finite one is capped at maxRetryAfter. When several
// entries name a category, the longest limit wins.
func parseRateLimits(s string, now time.Time) rateLimits {
	var out rateLimits
	for _, entry := range strings.Split(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		parts := strings.Split(entry, ":")
		secs, err := strconv.ParseFloat(strings.TrimSpace(parts[0]), 64)
		if isRangeError(err) && secs > 0 {
			secs, err = maxRetryAfter.Seconds(), nil // "1e400": finite in the header's terms
		}
		if err != nil || !(secs > 0) || math.IsInf(secs, 0) {
			continue // also NaN (!(NaN > 0)) and inf, nan, Infinity
		}
		d := time.Duration(min(secs, maxRetryAfter.Seconds()) * float64(time.Second))
		if d <= 0 {
			continue // below a nanosecond: no limit
		}
		until := now.Add(d)
		named := 0
		if len(parts) > 1 {
			for _, name := range strings.Split(parts[1], ";") {
				name = strings.ToLower(strings.TrimSpace(name))
				if name == "" {
					continue
				}
				named++
				if c, ok := categoryByName(name); ok {
					if until.After(out[c]) {
						out[c] = until
					}
				}
			}
		}
		if named == 0 && until.After(out[catAll]) {
			out[catAll] = until
		}
	}
	return out
}

// isRangeError reports a number too large for a float64 ("1e400").
func isRangeError(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// parseRetryAfter reads a Retry-After value: delay-seconds (one or more
// digits, RFC 9110 section 10.2.3) or an HTTP date. Anything else, a
// fractional "5.0" included, gives DefaultRetryAfter, as sentry-go does:
// such a header does not follow the RFC, and the default is the spec's
// answer to a 429 that names no usable delay.
func parseRetryAfter(s string, now time.Time) time.Duration {
	s = strings.TrimSpace(s)
	if s != "" && strings.Trim(s, "0123456789") == "" {
		secs, err := strconv.ParseUint(s, 10, 64)
		if err != nil || secs > uint64(maxRetryAfter/time.Second) {
			return maxRetryAfter // too many digits for a uint64 is still a delay
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(s); err == nil {
		if d := t.Sub(now); d > 0 {
			return min(d, maxRetryAfter)
		}
		return 0
	}
	return DefaultRetryAfter
}

// Limiter holds the rate limits the server announced, per data category.
// Safe for concurrent use.
type Limiter struct {
	mu     sync.Mutex
	limits rateLimits
	now    func() time.Time
}

// New returns a Limiter with no limit; now is its clock (time.Now when
// nil).
func New(now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{now: now}
}

// update applies a response's headers: X-Sentry-Rate-Limits on any answer,
// else Retry-After (or DefaultRetryAfter) on a 429, which limits every
// category.
func (l *Limiter) Update(status int, h http.Header) {
	now := l.now()
	var fresh rateLimits
	if v := h.Get("X-Sentry-Rate-Limits"); v != "" {
		fresh = parseRateLimits(v, now)
	} else if status == http.StatusTooManyRequests {
		fresh[catAll] = now.Add(parseRetryAfter(h.Get("Retry-After"), now))
	}
	if fresh.empty() {
		return
	}
	l.mu.Lock()
	l.limits.merge(&fresh)
	l.mu.Unlock()
}

// until returns the time until which category c is blocked (the zero time
// when it is not): the latest of the limits on every category, on c and
// on the category that also limits c.
func (l *Limiter) until(c dataCategory) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	t := l.limits[catAll]
	if c > catAll && c < numCategories {
		if l.limits[c].After(t) {
			t = l.limits[c]
		}
		if o := alsoLimitedBy[c]; o != catAll && l.limits[o].After(t) {
			t = l.limits[o]
		}
	}
	return t
}

// blockedCategory reports whether category c is rate limited now.
func (l *Limiter) blockedCategory(c dataCategory) bool {
	return l.now().Before(l.until(c))
}

// blocked reports whether the category named category is rate limited
// now. A name the SDK does not know is only limited by a limit on every
// category.
func (l *Limiter) Blocked(category string) bool {
	c, _ := categoryByName(category)
	return l.blockedCategory(c)
}

// filter removes the items of limited categories from env. It returns the
// envelope to send (nil when nothing is left) and how many events were
// removed, by category.
func (l *Limiter) Filter(env *protocol.Envelope) (*protocol.Envelope, map[string]int) {
	var dropped map[string]int
	keep := env.Items[:0:0]
	for _, it := range env.Items {
		if l.Blocked(it.Category()) {
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

func onlyReports(items []protocol.EnvelopeItem) bool {
	for _, it := range items {
		if it.Type != protocol.ItemClientReport {
			return false
		}
	}
	return true
}
