package raven

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// DSN is a parsed Data Source Name:
// {scheme}://{public_key}[:{secret}]@{host}[:{port}]/{path_prefix}{project_id}.
type DSN struct {
	Scheme    string
	PublicKey string
	SecretKey string
	Host      string // host[:port]
	Path      string // path prefix, with leading and trailing slash ("/" when none)
	ProjectID string
	raw       string
}

// ErrInvalidDSN is wrapped by every DSN parse error.
var ErrInvalidDSN = errors.New("raven: invalid DSN")

// ParseDSN parses a DSN string.
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
	path := strings.TrimSuffix(u.Path, "/")
	i := strings.LastIndexByte(path, '/')
	if i < 0 {
		return nil, fmt.Errorf("%w: missing project id", ErrInvalidDSN)
	}
	project := path[i+1:]
	if project == "" {
		return nil, fmt.Errorf("%w: missing project id", ErrInvalidDSN)
	}
	if strings.ContainsAny(project, "?#") {
		return nil, fmt.Errorf("%w: invalid project id %q", ErrInvalidDSN, project)
	}
	secret, _ := u.User.Password()
	return &DSN{
		Scheme:    u.Scheme,
		PublicKey: u.User.Username(),
		SecretKey: secret,
		Host:      u.Host,
		Path:      path[:i+1],
		ProjectID: project,
		raw:       s,
	}, nil
}

// String returns the DSN as it was given.
func (d *DSN) String() string { return d.raw }

// EnvelopeURL is the endpoint envelopes are POSTed to.
func (d *DSN) EnvelopeURL() string {
	return d.Scheme + "://" + d.Host + d.Path + "api/" + d.ProjectID + "/envelope/"
}

// AuthHeader is the value of the X-Sentry-Auth header for this DSN.
func (d *DSN) AuthHeader() string {
	h := "Sentry sentry_version=7, sentry_client=raven-go/" + SDKVersion + ", sentry_key=" + d.PublicKey
	if d.SecretKey != "" {
		h += ", sentry_secret=" + d.SecretKey
	}
	return h
}
