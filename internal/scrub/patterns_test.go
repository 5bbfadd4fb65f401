package scrub

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func defaultScrubber(t *testing.T) Scrubber {
	t.Helper()
	s, err := New(nil, true, nil)
	require.NoError(t, err)
	return s
}

// TestScrubText checks each built-in pattern: the secret part is replaced,
// the text around it stays, and look-alikes stay whole.
func TestScrubText(t *testing.T) {
	s := defaultScrubber(t)
	for _, tc := range []struct{ name, in, want string }{
		{"bearer", "auth failed for Bearer eyJ0eXAiOi.x-y_z~+/ab== at edge", "auth failed for Bearer [Filtered] at edge"},
		{"bearer lower case", "header authorization=bearer abcdef123456", "header authorization=[Filtered] [Filtered]"},
		{"basic credentials", "got Basic dXNlcjpwYXNzd29yZA== from proxy", "got Basic [Filtered] from proxy"},
		{"basic the word", "Basic authentication is disabled", "Basic authentication is disabled"},
		{"jwt", "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.sflKxwRJSMeKKF2QT4fw rejected",
			"token [Filtered] rejected"},
		{"aws access key id", "using AKIAIOSFODNN7EXAMPLE for s3", "using [Filtered] for s3"},
		{"url password", "dial postgres://app:s3cr3t-pw@db.internal:5432/shop failed",
			"dial postgres://app:[Filtered]@db.internal:5432/shop failed"},
		{"dsn secret", "DSN https://pub123:sec456@o1.ingest.example.io/42 set", "DSN https://pub123:[Filtered]@o1.ingest.example.io/42 set"},
		{"dsn without secret", "DSN https://pub123@o1.ingest.example.io/42 set", "DSN https://pub123@o1.ingest.example.io/42 set"},
		{"private key block", "key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nAAAA\n-----END RSA PRIVATE KEY-----\ndone",
			"key:\n-----BEGIN RSA PRIVATE KEY-----[Filtered]-----END RSA PRIVATE KEY-----\ndone"},
		{"truncated private key", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk", "-----BEGIN OPENSSH PRIVATE KEY-----[Filtered]"},
		{"github token", "clone with ghp_abcdefghijklmnopqrstuvwxyz0123456789 now", "clone with [Filtered] now"},
		{"slack token", "xoxb-123456789012-abcdefghij", "[Filtered]"},
		{"stripe key", "sk_live_abcdefghijklmnop1234", "[Filtered]"},
		{"google api key", "AIzaSyA-abcdefghijklmnopqrstuvwxyz01234", "[Filtered]"},
		{"name=value", "login password=hunter2 user=ann", "login password=[Filtered] user=ann"},
		{"name: value", "api_key: abc123 region: eu", "api_key: [Filtered] region: eu"},
		{"json member", `{"client_secret":"xyz789","id":7}`, `{"client_secret":"[Filtered]","id":7}`},
		{"query in text", "GET /cb?code=oauth-code-1&state=s1 and /x?token=t0k", "GET /cb?code=[Filtered]&state=s1 and /x?token=[Filtered]"},
		{"code outside a query", "exit code=3 status_code: 500", "exit code=3 status_code: 500"},
		{"already filtered", "token=%5BFiltered%5D", "token=%5BFiltered%5D"},
		{"ordinary", "order 8c1f2a9e-1b2c-4d5e-8f90-123456789abc shipped to /var/lib/app (monkey: 3)",
			"order 8c1f2a9e-1b2c-4d5e-8f90-123456789abc shipped to /var/lib/app (monkey: 3)"},
		{"time and hosts", "at 12:30:00 host api.example.com:8443 said no", "at 12:30:00 host api.example.com:8443 said no"},
	} {
		t.Run(tc.name, func(t *testing.T) { assert.Equal(t, tc.want, s.text(tc.in)) })
	}
}

func TestScrubPatternOptions(t *testing.T) {
	t.Run("added pattern, groups only", func(t *testing.T) {
		s, err := New(nil, true, []string{`ticket (T-\d+)`, `INTERNAL-\d+`})
		require.NoError(t, err)
		assert.Equal(t, "ticket [Filtered] and [Filtered]", s.text("ticket T-42 and INTERNAL-7"))
	})
	t.Run("defaults off", func(t *testing.T) {
		s, err := New(nil, false, []string{`INTERNAL-\d+`})
		require.NoError(t, err)
		assert.Equal(t, "Bearer abcdefgh [Filtered]", s.text("Bearer abcdefgh INTERNAL-7"))
		assert.True(t, s.Sensitive("password"), "key names still apply")
	})
	t.Run("invalid pattern", func(t *testing.T) {
		_, err := New(nil, true, []string{`(`})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "scrub pattern")
	})
}

// FuzzScrubText checks that the free-text patterns never panic, keep
// valid UTF-8 valid, and find nothing more in their own output.
func FuzzScrubText(f *testing.F) {
	for _, seed := range []string{"password=x", "config: api_key: x", "Bearer abc", "Basic dXNlcjpwYXNz",
		"https://u:p@h/x?code=1&token=2", "-----BEGIN RSA PRIVATE KEY-----\nAAA", `{"secret":"x"}`,
		"eyJhbGciOi.eyJzdWIi.sig", "AKIAIOSFODNN7EXAMPLE", "a=b&c=d:e", "é=ü"} {
		f.Add(seed)
	}
	s := Scrubber{patterns: defaultPatterns}
	f.Fuzz(func(t *testing.T, in string) {
		out := s.text(in)
		if utf8.ValidString(in) && !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 out of %q: %q", in, out)
		}
		if again := s.text(out); again != out {
			t.Fatalf("scrubbing %q twice: %q then %q", in, out, again)
		}
	})
}

// A string scrubbed before is answered from the cache with the same
// result, and the cache stays bounded.
func TestScrubTextCache(t *testing.T) {
	s := defaultScrubber(t)
	in := "login password=hunter2 user=ann"
	first := s.text(in)
	assert.Equal(t, "login password=[Filtered] user=ann", first)
	cached, ok := s.seen.get(in)
	require.True(t, ok)
	assert.Equal(t, first, cached)
	assert.Equal(t, first, s.text(in))
	for i := range 2 * maxCachedTexts {
		s.text(fmt.Sprintf("message %d", i))
	}
	assert.LessOrEqual(t, s.seen.n.Load(), int64(maxCachedTexts))
	long := strings.Repeat("x", maxCachedText+1) + " token=abc"
	assert.Contains(t, s.text(long), "token=[Filtered]")
	_, ok = s.seen.get(long)
	assert.False(t, ok, "long strings are not kept")
}
