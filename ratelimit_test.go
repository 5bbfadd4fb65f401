package raven

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func TestParseRateLimits(t *testing.T) {
	tests := []struct {
		name   string
		header string
		want   rateLimits
	}{
		{"all categories", "60::organization", rateLimits{"": t0.Add(60 * time.Second)}},
		{"some categories", "30:error;transaction:project", rateLimits{"error": t0.Add(30 * time.Second), "transaction": t0.Add(30 * time.Second)}},
		{"longest wins", "10:error:key, 50:error:org, 20:error:project", rateLimits{"error": t0.Add(50 * time.Second)}},
		{"reason and namespaces", "5:metric_bucket:organization:quota_exceeded:custom", rateLimits{"metric_bucket": t0.Add(5 * time.Second)}},
		{"fractional seconds", "1.5:default:org", rateLimits{"default": t0.Add(1500 * time.Millisecond)}},
		{"case and spaces", " 7 : Error ; Default : org ", rateLimits{"error": t0.Add(7 * time.Second), "default": t0.Add(7 * time.Second)}},
		{"malformed entries skipped", "abc:error:org,,-3:error,9:session", rateLimits{"session": t0.Add(9 * time.Second)}},
		{"bounded", "99999999999:error:org", rateLimits{"error": t0.Add(maxRetryAfter)}},
		{"empty", "", rateLimits{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, parseRateLimits(tt.header, t0))
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	assert.Equal(t, 120*time.Second, parseRetryAfter("120", t0))
	assert.Equal(t, 90*time.Second, parseRetryAfter(t0.Add(90*time.Second).Format(http.TimeFormat), t0))
	assert.Equal(t, time.Duration(0), parseRetryAfter(t0.Add(-time.Hour).Format(http.TimeFormat), t0))
	assert.Equal(t, DefaultRetryAfter, parseRetryAfter("soon", t0))
	assert.Equal(t, DefaultRetryAfter, parseRetryAfter("", t0))
}

func TestLimiterUpdateAndFilter(t *testing.T) {
	now := t0
	l := newLimiter(func() time.Time { return now })
	l.update(200, http.Header{"X-Sentry-Rate-Limits": {"60:transaction:org"}})
	assert.False(t, l.blocked("error"))
	assert.True(t, l.blocked("transaction"))

	env := &Envelope{Items: []EnvelopeItem{{Type: ItemEvent, Events: 1}, {Type: ItemClientReport}}}
	out, dropped := l.filter(env)
	assert.Same(t, env, out)
	assert.Nil(t, dropped)

	l.update(429, http.Header{"Retry-After": {"10"}})
	assert.True(t, l.blocked("error"), "a 429 without X-Sentry-Rate-Limits blocks everything")
	out, dropped = l.filter(env)
	assert.Nil(t, out, "a client report alone is not sent")
	assert.Equal(t, map[string]int{"error": 1}, dropped)

	now = now.Add(11 * time.Second)
	assert.False(t, l.blocked("error"))
	assert.True(t, l.blocked("transaction"))

	l.update(429, http.Header{})
	assert.True(t, l.blocked("error"))
	now = now.Add(DefaultRetryAfter - time.Second)
	assert.True(t, l.blocked("error"), "no header on a 429: DefaultRetryAfter")
}

func FuzzParseRateLimits(f *testing.F) {
	for _, s := range []string{"60::organization", "30:error;transaction:project:reason:ns", "1.5:default", ",,", "NaN:error", "1e400:error"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for cat, until := range parseRateLimits(s, t0) {
			if until.Before(t0) || until.After(t0.Add(maxRetryAfter)) {
				t.Fatalf("category %q limited until %v", cat, until)
			}
		}
		d := parseRetryAfter(s, t0)
		if d < 0 || d > maxRetryAfter {
			t.Fatalf("retry after %v", d)
		}
	})
}
