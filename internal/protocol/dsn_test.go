package protocol_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/ravenkit/raven/internal/protocol"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseDSN(t *testing.T) {
	tests := []struct {
		name, dsn, url, auth, project string
	}{
		{"saas", "https://abc@o123.ingest.sentry.io/456", "https://o123.ingest.sentry.io/api/456/envelope/", "sentry_key=abc", "456"},
		{"port and prefix", "http://k:s@localhost:9000/prefix/sub/7", "http://localhost:9000/prefix/sub/api/7/envelope/", "sentry_secret=s", "7"},
		{"ipv6", "http://k@[::1]:8000/9", "http://[::1]:8000/api/9/envelope/", "sentry_version=7", "9"},
		// sentry-go's table (internal/protocol/dsn_test.go)
		{"all fields", "https://public:secret@domain:8888/foo/bar/42", "https://domain:8888/foo/bar/api/42/envelope/", "sentry_key=public, sentry_secret=secret", "42"},
		{"minimal secure", "https://public@domain/42", "https://domain/api/42/envelope/", "sentry_key=public", "42"},
		{"minimal insecure", "http://public@domain/42", "http://domain/api/42/envelope/", "sentry_key=public", "42"},
		{"ipv6 with port", "https://public@[2001:db8::1]:8888/42", "https://[2001:db8::1]:8888/api/42/envelope/", "sentry_key=public", "42"},
		{"ipv6 default port", "https://public@[::1]/42", "https://[::1]/api/42/envelope/", "sentry_key=public", "42"},
		// escaped forms stay escaped in the envelope URL
		{"escaped newline in project", "http://public@domain/42%0A", "http://domain/api/42%0A/envelope/", "sentry_key=public", "42\n"},
		{"escaped NUL in project", "http://public@domain/42%00", "http://domain/api/42%00/envelope/", "sentry_key=public", "42\x00"},
		{"escaped hash in prefix", "http://public@domain/pre%23fix/42", "http://domain/pre%23fix/api/42/envelope/", "sentry_key=public", "42"},
		{"escaped question mark in project", "http://public@domain/42%3Fa", "http://domain/api/42%3Fa/envelope/", "sentry_key=public", "42?a"},
		{"escaped slash stays in its segment", "http://public@domain/a%2Fb/42", "http://domain/a%2Fb/api/42/envelope/", "sentry_key=public", "42"},
		{"ipv6 zone", "http://public@[fe80::1%25eth0]:9000/42", "http://[fe80::1%25eth0]:9000/api/42/envelope/", "sentry_key=public", "42"},
		{"query and fragment ignored", "https://k@host/3?x=1#y", "https://host/api/3/envelope/", "sentry_key=k", "3"},
		{"surrounding space", "  https://k@host/3\n", "https://host/api/3/envelope/", "sentry_key=k", "3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := protocol.ParseDSN(tt.dsn)
			require.NoError(t, err)
			assert.Equal(t, tt.url, d.EnvelopeURL())
			assert.Contains(t, d.AuthHeader(), tt.auth)
			assert.Equal(t, tt.project, d.ProjectID)
			assert.Equal(t, strings.TrimSpace(tt.dsn), d.String())
			u, err := url.Parse(d.EnvelopeURL())
			require.NoError(t, err, "the envelope URL parses")
			assert.True(t, strings.HasSuffix(u.Path, "/api/"+tt.project+"/envelope/"), u.Path)
			again, err := protocol.ParseDSN(d.String())
			require.NoError(t, err)
			assert.Equal(t, d, again, "String parses back to the same DSN")
		})
	}
}

func TestParseDSNErrors(t *testing.T) {
	tests := []struct {
		name, dsn, msg string
	}{
		{"empty", "", "scheme"},
		{"no scheme", "abc", "scheme"},
		{"no scheme with key", "public:secret@:8888/42", "scheme"},
		{"missing protocol scheme", "://public:secret@:8888/42", "missing protocol scheme"},
		{"bad scheme", "ftp://public:secret@domain:8888/1", "scheme"},
		{"no public key", "https://:secret@domain:8888/42", "public key"},
		{"no user info", "https://h/1", "public key"},
		{"no host", "https://public:secret@:8888/42", "host"},
		{"no host at all", "https://k@/1", "host"},
		{"no project id", "https://public:secret@domain:8888/", "missing project id"},
		{"no path", "https://public:secret@domain:8888", "missing project id"},
		{"only slashes", "https://k@h//", "missing project id"},
		// sentry-go and sentry-python both refuse a trailing slash
		{"trailing slash", "https://public:secret@domain:8888/42/", "trailing slash"},
		{"trailing slash after prefix", "https://k@h/prefix/42/", "trailing slash"},
		{"bad url", "!@#$%^&*()", "invalid"},
		{"bad port", "https://public:secret@domain:wat/42", "port"},
		{"port out of range", "https://k@h:99999/1", "port"},
		{"raw control character", "http://public@domain/4\n2", "control character"},
		{"escaped newline in key", "http://pub%0Alic@domain/42", "key"},
		{"comma in key", "http://pub%2Clic@domain/42", "key"},
		{"space in secret", "http://public:se%20cret@domain/42", "key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := protocol.ParseDSN(tt.dsn)
			require.Error(t, err)
			assert.True(t, errors.Is(err, protocol.ErrInvalidDSN))
			assert.Contains(t, err.Error(), tt.msg)
		})
	}
}

// TestDSNFieldsChanged: a DSN whose exported fields a program changes
// builds its URL from them, escaped.
func TestDSNFieldsChanged(t *testing.T) {
	d, err := protocol.ParseDSN("https://k@host/pre%23fix/42")
	require.NoError(t, err)
	d.ProjectID = "7?x"
	assert.Equal(t, "https://host/pre%23fix/api/7%3Fx/envelope/", d.EnvelopeURL())
	lit := &protocol.DSN{Scheme: "http", Host: "h:1", Path: "/a b/", ProjectID: "3", PublicKey: "k"}
	assert.Equal(t, "http://h:1/a%20b/api/3/envelope/", lit.EnvelopeURL())
}

// FuzzParseDSN: whatever ParseDSN accepts can be sent: its envelope URL
// parses, holds no control character and keeps the DSN's host.
func FuzzParseDSN(f *testing.F) {
	for _, s := range []string{"https://abc@o1.ingest.sentry.io/456", "http://k:s@localhost:9000/p/7", "https://k@[::1]/1", "%", "https://@/",
		"http://public@domain/42%0A", "http://public@domain/pre%23fix/42", "http://public@[fe80::1%25eth0]:9000/42", "http://public@domain/42%3Fa",
		"https://k@h/42/", "http://p@[fe80::1%25en%200]/4", "http://p@h/%2F/%00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := protocol.ParseDSN(s)
		if err != nil {
			if !errors.Is(err, protocol.ErrInvalidDSN) {
				t.Fatalf("error does not wrap ErrInvalidDSN: %v", err)
			}
			return
		}
		if d.PublicKey == "" || d.ProjectID == "" || d.Host == "" {
			t.Fatalf("accepted incomplete DSN %q: %+v", s, d)
		}
		env := d.EnvelopeURL()
		for _, c := range env {
			if c < ' ' || c == 0x7f {
				t.Fatalf("envelope URL of %q holds a control character: %q", s, env)
			}
		}
		u, err := url.Parse(env)
		if err != nil {
			t.Fatalf("envelope URL of %q does not parse: %q: %v", s, env, err)
		}
		if u.Host != d.Host || !strings.HasSuffix(u.Path, "/api/"+d.ProjectID+"/envelope/") {
			t.Fatalf("envelope URL of %q is %q: host %q path %q", s, env, u.Host, u.Path)
		}
		for _, c := range d.AuthHeader() {
			if c < ' ' || c == 0x7f {
				t.Fatalf("auth header of %q holds a control character", s)
			}
		}
	})
}
