package ratelimit

import (
	"net/http"
	"testing"
	"time"

	"github.com/ravenkit/raven/internal/protocol"
	"github.com/stretchr/testify/assert"
)

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// limits builds the expected rateLimits from category names ("" for every
// category) and durations after t0.
func limits(pairs ...any) rateLimits {
	var r rateLimits
	for i := 0; i < len(pairs); i += 2 {
		name, d := pairs[i].(string), pairs[i+1].(time.Duration)
		c, ok := categoryByName(name)
		if name != "" && !ok {
			panic("unknown category " + name)
		}
		r[c] = t0.Add(d)
	}
	return r
}

func TestParseRateLimits(t *testing.T) {
	tests := []struct {
		name   string
		header string
		want   rateLimits
	}{
		{"all categories", "60::organization", limits("", 60*time.Second)},
		{"some categories", "30:error;transaction:project", limits("error", 30*time.Second, "transaction", 30*time.Second)},
		{"longest wins", "10:error:key, 50:error:org, 20:error:project", limits("error", 50*time.Second)},
		{"reason and namespaces", "5:metric_bucket:organization:quota_exceeded:custom", limits("metric_bucket", 5*time.Second)},
		{"fractional seconds", "1.5:default:org", limits("default", 1500*time.Millisecond)},
		{"case and spaces", " 7 : Error ; Default : org ", limits("error", 7*time.Second, "default", 7*time.Second)},
		{"malformed entries skipped", "abc:error:org,,-3:error,9:session", limits("session", 9*time.Second)},
		{"bounded", "99999999999:error:org", limits("error", maxRetryAfter)},
		{"out of float range is bounded", "1e400:error:org", limits("error", maxRetryAfter)},
		{"empty", "", limits()},
		// retry_after that is not a finite number limits nothing (sentry-go,
		// sentry-python, Relay's tests read it as 0)
		{"inf", "inf:error:org", limits()},
		{"Infinity for every category", "Infinity::org", limits()},
		{"nan", "nan:error:org", limits()},
		{"negative infinity", "-inf::org", limits()},
		{"zero", "0:error:org", limits()},
		{"below a nanosecond", ".0000000001::org", limits()},
		{"non-finite beside a finite entry", "inf::org, 10:error:org", limits("error", 10*time.Second)},
		// unknown categories are ignored (develop.sentry.dev/sdk/expected-features/rate-limiting/)
		{"unknown category ignored", "60:error;foobar:org", limits("error", 60*time.Second)},
		{"only unknown categories limit nothing", "60:foobar;baz:org", limits()},
		{"only unknown categories beside a global limit", "60:foobar:org, 5::org", limits("", 5*time.Second)},
		{"check_in is not a category (the item's category is monitor)", "60:check_in:org", limits()},
		{"logs by count", "60:log_item:org", limits("log_item", 60*time.Second)},
		{"every known category", "1:default;error;transaction;span;log_item;log_byte;session;attachment;attachment_item;monitor;feedback;profile;profile_chunk;replay;security;metric_bucket;trace_metric;internal",
			limits("default", time.Second, "error", time.Second, "transaction", time.Second, "span", time.Second, "log_item", time.Second, "log_byte", time.Second,
				"session", time.Second, "attachment", time.Second, "attachment_item", time.Second, "monitor", time.Second, "feedback", time.Second,
				"profile", time.Second, "profile_chunk", time.Second, "replay", time.Second, "security", time.Second, "metric_bucket", time.Second,
				"trace_metric", time.Second, "internal", time.Second)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, parseRateLimits(tt.header, t0))
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	tests := []struct {
		name, value string
		want        time.Duration
	}{
		{"seconds", "120", 120 * time.Second},
		{"zero", "0", 0},
		{"http date", t0.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{"date in the past", t0.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"date far ahead is bounded", t0.Add(1000 * time.Hour).Format(http.TimeFormat), maxRetryAfter},
		{"huge seconds are bounded", "999999999999", maxRetryAfter},
		{"more digits than a uint64 are bounded", "99999999999999999999999", maxRetryAfter},
		{"words", "soon", DefaultRetryAfter},
		{"empty", "", DefaultRetryAfter},
		// not RFC 9110 delay-seconds: the default, as sentry-go
		{"fraction", "5.0", DefaultRetryAfter},
		{"negative", "-5", DefaultRetryAfter},
		{"inf", "inf", DefaultRetryAfter},
		{"exponent", "1e3", DefaultRetryAfter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, parseRetryAfter(tt.value, t0))
		})
	}
}

// TestLimiterPerCategory: a limit on one category leaves the others alone;
// logs are also limited by bytes; names the SDK does not know are limited
// only by a limit on every category.
func TestLimiterPerCategory(t *testing.T) {
	tests := []struct {
		name      string
		header    string
		blocked   []string
		unblocked []string
	}{
		{"log_item limit does not stop errors", "60:log_item:org", []string{"log_item"}, []string{"error", "default", "monitor", "transaction", "internal"}},
		{"log_byte limit stops logs", "60:log_byte:org", []string{"log_byte", "log_item"}, []string{"error"}},
		{"attachment_item limit stops attachments", "60:attachment_item:org", []string{"attachment", "attachment_item"}, []string{"error"}},
		{"error limit does not stop logs or check-ins", "60:error:org", []string{"error"}, []string{"log_item", "monitor", "default"}},
		{"monitor limit stops check-ins only", "60:monitor:org", []string{"monitor"}, []string{"error"}},
		{"unknown names limit nothing", "60:foobar:org", nil, []string{"error", "foobar", "log_item"}},
		{"global limit stops everything, unknown names too", "60::org", []string{"error", "log_item", "foobar", "internal"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := New(func() time.Time { return t0 })
			l.Update(429, http.Header{"X-Sentry-Rate-Limits": {tt.header}})
			for _, c := range tt.blocked {
				assert.True(t, l.Blocked(c), c)
			}
			for _, c := range tt.unblocked {
				assert.False(t, l.Blocked(c), c)
			}
		})
	}
}

func TestItemCategory(t *testing.T) {
	for typ, want := range map[string]string{
		protocol.ItemEvent: "error", protocol.ItemClientReport: "internal", "check_in": "monitor", "log": "log_item", "sessions": "session",
		"session": "session", protocol.ItemAttachment: "attachment", "transaction": "transaction", "span": "span", "feedback": "feedback",
		"replay_recording": "replay", "profile": "profile", "unheard_of": "unheard_of",
	} {
		t.Run(typ, func(t *testing.T) {
			assert.Equal(t, want, (&protocol.EnvelopeItem{Type: typ}).Category())
			if want != "unheard_of" {
				_, ok := categoryByName(want)
				assert.True(t, ok, "the category of %s is one the limiter knows", typ)
			}
		})
	}
}

func TestLimiterUpdateAndFilter(t *testing.T) {
	now := t0
	l := New(func() time.Time { return now })
	l.Update(200, http.Header{"X-Sentry-Rate-Limits": {"60:transaction:org"}})
	assert.False(t, l.Blocked("error"))
	assert.True(t, l.Blocked("transaction"))

	env := &protocol.Envelope{Items: []protocol.EnvelopeItem{{Type: protocol.ItemEvent, Events: 1}, {Type: protocol.ItemClientReport}}}
	out, dropped := l.Filter(env)
	assert.Same(t, env, out)
	assert.Nil(t, dropped)

	l.Update(429, http.Header{"Retry-After": {"10"}})
	assert.True(t, l.Blocked("error"), "a 429 without X-Sentry-Rate-Limits blocks everything")
	out, dropped = l.Filter(env)
	assert.Nil(t, out, "a client report alone is not sent")
	assert.Equal(t, map[string]int{"error": 1}, dropped)

	now = now.Add(11 * time.Second)
	assert.False(t, l.Blocked("error"))
	assert.True(t, l.Blocked("transaction"))

	l.Update(429, http.Header{})
	assert.True(t, l.Blocked("error"))
	now = now.Add(DefaultRetryAfter - time.Second)
	assert.True(t, l.Blocked("error"), "no header on a 429: DefaultRetryAfter")
}

func FuzzParseRateLimits(f *testing.F) {
	for _, s := range []string{"60::organization", "30:error;transaction:project:reason:ns", "1.5:default", ",,", "NaN:error", "1e400:error", "inf::org", "60:foobar:org", "5.0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lim := parseRateLimits(s, t0)
		for cat, until := range lim {
			if !until.IsZero() && (!until.After(t0) || until.After(t0.Add(maxRetryAfter))) {
				t.Fatalf("category %q limited until %v", dataCategory(cat), until)
			}
		}
		d := parseRetryAfter(s, t0)
		if d < 0 || d > maxRetryAfter {
			t.Fatalf("retry after %v", d)
		}
	})
}
