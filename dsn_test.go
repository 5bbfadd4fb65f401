package raven_test

import (
	"errors"
	"testing"

	"github.com/ravenkit/raven"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseDSN(t *testing.T) {
	tests := []struct {
		name, dsn, url, auth, project string
	}{
		{"saas", "https://abc@o123.ingest.sentry.io/456", "https://o123.ingest.sentry.io/api/456/envelope/", "sentry_key=abc", "456"},
		{"port and prefix", "http://k:s@localhost:9000/prefix/sub/7", "http://localhost:9000/prefix/sub/api/7/envelope/", "sentry_secret=s", "7"},
		{"trailing slash", "https://k@host/3/", "https://host/api/3/envelope/", "sentry_key=k", "3"},
		{"ipv6", "http://k@[::1]:8000/9", "http://[::1]:8000/api/9/envelope/", "sentry_version=7", "9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := raven.ParseDSN(tt.dsn)
			require.NoError(t, err)
			assert.Equal(t, tt.url, d.EnvelopeURL())
			assert.Contains(t, d.AuthHeader(), tt.auth)
			assert.Equal(t, tt.project, d.ProjectID)
			assert.Equal(t, tt.dsn, d.String())
		})
	}
}

func TestParseDSNErrors(t *testing.T) {
	for _, s := range []string{"", "abc", "ftp://k@h/1", "https://h/1", "https://k@/1", "https://k@h", "https://k@h/", "https://k@h:99999/1", "https://k@h:x/1", "://"} {
		t.Run(s, func(t *testing.T) {
			_, err := raven.ParseDSN(s)
			require.Error(t, err)
			assert.True(t, errors.Is(err, raven.ErrInvalidDSN))
		})
	}
}

func FuzzParseDSN(f *testing.F) {
	for _, s := range []string{"https://abc@o1.ingest.sentry.io/456", "http://k:s@localhost:9000/p/7", "https://k@[::1]/1", "%", "https://@/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := raven.ParseDSN(s)
		if err != nil {
			if !errors.Is(err, raven.ErrInvalidDSN) {
				t.Fatalf("error does not wrap ErrInvalidDSN: %v", err)
			}
			return
		}
		if d.PublicKey == "" || d.ProjectID == "" || d.Host == "" {
			t.Fatalf("accepted incomplete DSN %q: %+v", s, d)
		}
		_ = d.EnvelopeURL()
		_ = d.AuthHeader()
	})
}
