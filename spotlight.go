package raven

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/ravenkit/raven/internal/httpsend"
)

// DefaultSpotlightURL is where the Spotlight sidecar listens for envelopes.
const DefaultSpotlightURL = "http://localhost:8969/stream"

// spotlightTimeout bounds a post to the sidecar: it is local, and best
// effort.
const spotlightTimeout = 2 * time.Second

// WithSpotlight also posts every envelope to a Spotlight sidecar at url
// (DefaultSpotlightURL when empty), for local development. It wins over
// SENTRY_SPOTLIGHT. Spotlight works without a DSN; with one, events go to
// both. Posting to the sidecar never affects delivery or drop accounting.
func WithSpotlight(url string) Option {
	return optionFunc(func(c *config) {
		if url == "" {
			url = DefaultSpotlightURL
		}
		c.spotlight, c.spotlightSet = url, true
	})
}

// spotlightURL reads SENTRY_SPOTLIGHT.
func spotlightURL(v string) string {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "0", "false", "no", "off":
		return ""
	case "1", "true", "yes", "on":
		return DefaultSpotlightURL
	}
	return strings.TrimSpace(v)
}

// spotlight sends to the inner transport (if any) and copies every
// envelope to the sidecar.
type spotlight struct {
	url    string
	inner  Transport
	client *http.Client
	log    *slog.Logger
}

// newSpotlight posts to the sidecar with a client that, like the HTTP
// transport's, never follows a redirect.
func newSpotlight(url string, inner Transport, log *slog.Logger) *spotlight {
	return &spotlight{url: url, inner: inner, client: &http.Client{Timeout: spotlightTimeout, CheckRedirect: httpsend.NoRedirects}, log: log}
}

// Send posts to the sidecar, then sends through the inner transport; its
// result is the inner transport's (or nil without one).
func (s *spotlight) Send(ctx context.Context, envs []*Envelope) error {
	for _, env := range envs {
		s.post(ctx, env)
	}
	if s.inner == nil {
		return nil
	}
	return s.inner.Send(ctx, envs)
}

func (s *spotlight) post(ctx context.Context, env *Envelope) {
	body, err := env.Bytes()
	if err != nil {
		return
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		s.log.Debug("raven: spotlight", slog.Any("error", err))
		return
	}
	req.Header.Set("Content-Type", "application/x-sentry-envelope")
	resp, err := s.client.Do(req)
	if err != nil {
		s.log.Debug("raven: spotlight unreachable", slog.Any("error", err))
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode/100 == 3 {
		s.log.Warn("raven: spotlight redirects envelopes elsewhere; not following", slog.String("url", s.url),
			slog.Int("status", resp.StatusCode), slog.String("location", resp.Header.Get("Location")))
	}
}

// Flush flushes the inner transport.
func (s *spotlight) Flush(ctx context.Context) error {
	if s.inner == nil {
		return nil
	}
	return s.inner.Flush(ctx)
}

// Close closes the inner transport and the sidecar's connections.
func (s *spotlight) Close(ctx context.Context) error {
	s.client.CloseIdleConnections()
	if s.inner == nil {
		return nil
	}
	return s.inner.Close(ctx)
}
