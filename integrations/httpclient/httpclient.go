// Package ravenhttpclient records a breadcrumb for every outgoing HTTP
// request, on the scope of the request's context, so that an error
// reported later shows the calls that led to it.
//
//	client := &http.Client{Transport: ravenhttpclient.New(nil)}
//	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
//	resp, err := client.Do(req) // breadcrumb on raven.ScopeFromContext(ctx)
package ravenhttpclient

import (
	"net/http"
	"time"

	"github.com/ravenkit/raven"
)

// RoundTripper wraps another http.RoundTripper and records breadcrumbs.
type RoundTripper struct {
	next http.RoundTripper
}

// New wraps next (http.DefaultTransport when nil).
func New(next http.RoundTripper) *RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return &RoundTripper{next: next}
}

// RoundTrip sends the request and records a breadcrumb of type http with
// the method, the URL (sensitive query values and passwords filtered), the
// status code or the error, and the duration.
func (t *RoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	data := map[string]any{
		"method":      req.Method,
		"url":         raven.ScrubURL(req.URL.String()),
		"duration_ms": time.Since(start).Milliseconds(),
	}
	level := raven.LevelInfo
	if err != nil {
		data["error"] = err.Error()
		level = raven.LevelError
	} else {
		data["status_code"] = resp.StatusCode
		if resp.StatusCode >= 400 {
			level = raven.LevelWarning
		}
	}
	raven.ScopeFromContext(req.Context()).AddBreadcrumb(raven.Breadcrumb{
		Type: "http", Category: "http", Level: level, Data: data,
	})
	return resp, err
}
