package protocol

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// DSN is a parsed Data Source Name:
// {scheme}://{public_key}[:{secret}]@{host}[:{port}]/{path_prefix}{project_id}.
//
// Host, Path and ProjectID hold the decoded forms; the envelope URL is built
// from the forms the DSN was written with, so a percent-escaped byte in the
// path (%23, %3F, %0A, %2F) or an IPv6 zone (%25) stays escaped on the wire.
type DSN struct {
	Scheme    string
	PublicKey string
	SecretKey string
	Host      string // host[:port]
	Path      string // path prefix, with leading and trailing slash ("/" when none)
	ProjectID string
	raw       string

	// escaped forms of Path and ProjectID, as written in the DSN
	rawPath, rawProject string
}

// ErrInvalidDSN is wrapped by every DSN parse error.
var ErrInvalidDSN = errors.New("raven: invalid DSN")

// ParseDSN parses a DSN string. Surrounding white space is ignored; a query
// or fragment is ignored too.
//
// The project id is the last segment of the path and must not be empty, so
// a DSN ending in a slash ("https://key@host/42/") is an error, as it is
// for the other Sentry SDKs: the slash hides whether 42 is the project or
// part of a path prefix. A DSN is also refused when no request could ever
// carry it: a key holding white space, a comma or a control character
// cannot be written in the X-Sentry-Auth header, and the envelope URL built
// from it must parse back to the same host and path (see EnvelopeURL).
func ParseDSN(s string) (*DSN, error) {
	s = strings.TrimSpace(s)
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidDSN, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%w: scheme %q is not http or https", ErrInvalidDSN, u.Scheme)
	}
	if u.User == nil || u.User.Username() == "" {
		return nil, fmt.Errorf("%w: missing public key", ErrInvalidDSN)
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, fmt.Errorf("%w: missing host", ErrInvalidDSN)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n <= 0 || n > 65535 {
			return nil, fmt.Errorf("%w: invalid port %q", ErrInvalidDSN, p)
		}
	}
	secret, _ := u.User.Password()
	if !validKey(u.User.Username()) || !validKey(secret) && secret != "" {
		return nil, fmt.Errorf("%w: the key holds white space, a comma or a control character", ErrInvalidDSN)
	}
	// Split the escaped path: an escaped slash (%2F) is part of a segment.
	esc := u.EscapedPath()
	i := strings.LastIndexByte(esc, '/')
	if i < 0 || i == len(esc)-1 && strings.Trim(esc, "/") == "" {
		return nil, fmt.Errorf("%w: missing project id", ErrInvalidDSN)
	}
	if i == len(esc)-1 {
		return nil, fmt.Errorf("%w: empty project id after the trailing slash of %q (remove the slash)", ErrInvalidDSN, esc)
	}
	rawPrefix, rawProject := esc[:i+1], esc[i+1:]
	prefix, err1 := url.PathUnescape(rawPrefix)
	project, err2 := url.PathUnescape(rawProject)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidDSN, err)
	}
	d := &DSN{
		Scheme:     u.Scheme,
		PublicKey:  u.User.Username(),
		SecretKey:  secret,
		Host:       u.Host,
		Path:       prefix,
		ProjectID:  project,
		raw:        s,
		rawPath:    rawPrefix,
		rawProject: rawProject,
	}
	if err := d.checkEnvelopeURL(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidDSN, err)
	}
	return d, nil
}

// validKey reports whether a key can be written in the X-Sentry-Auth
// header: printable ASCII or UTF-8 text with no white space and no comma
// (the header's separator).
func validKey(k string) bool {
	for _, r := range k {
		if r <= ' ' || r == 0x7f || r == ',' || r >= 0x80 && r <= 0x9f {
			return false
		}
	}
	return true
}

// checkEnvelopeURL refuses a DSN whose envelope URL does not parse back to
// the host and path it was built from, or holds a control character: every
// request to it would fail.
func (d *DSN) checkEnvelopeURL() error {
	s := d.EnvelopeURL()
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] == 0x7f {
			return fmt.Errorf("envelope URL %q holds a control character", s)
		}
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("envelope URL does not parse: %v", err)
	}
	if u.Host != d.Host || u.Path != d.Path+"api/"+d.ProjectID+"/envelope/" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("envelope URL %q does not keep the DSN's host and path", s)
	}
	return nil
}

// String returns the DSN as it was given.
func (d *DSN) String() string { return d.raw }

// EnvelopeURL is the endpoint envelopes are POSTed to:
// {scheme}://{host}[:{port}]/{path_prefix}api/{project_id}/envelope/
// (develop.sentry.dev/sdk/overview/#parsing-the-dsn). Bytes the DSN escaped
// stay escaped ("/42%0A" gives "/api/42%0A/envelope/", "/pre%23fix/42"
// gives "/pre%23fix/api/42/envelope/"), and so does an IPv6 zone
// ("[fe80::1%25eth0]").
func (d *DSN) EnvelopeURL() string {
	u := url.URL{Scheme: d.Scheme, Host: d.Host, Path: d.Path + "api/" + d.ProjectID + "/envelope/"}
	if d.rawPath != "" {
		// Used only while it still encodes Path (a caller may have changed
		// the exported fields); url.URL escapes Path itself otherwise.
		u.RawPath = d.rawPath + "api/" + d.rawProject + "/envelope/"
	}
	return u.String()
}

// AuthHeader is the value of the X-Sentry-Auth header for this DSN.
func (d *DSN) AuthHeader() string {
	h := "Sentry sentry_version=7, sentry_client=raven-go/" + SDKVersion + ", sentry_key=" + d.PublicKey
	if d.SecretKey != "" {
		h += ", sentry_secret=" + d.SecretKey
	}
	return h
}
