package httpsend

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/ravenkit/raven/internal/delivery"
	"github.com/ravenkit/raven/internal/protocol"
)

// SpotlightTimeout bounds a post to the sidecar: it is local, and best
// effort.
const SpotlightTimeout = 2 * time.Second

// Spotlight sends to the inner transport (if any) and copies every
// envelope to the sidecar.
type Spotlight struct {
	url    string
	inner  delivery.Transport
	client *http.Client
	log    *slog.Logger
}

// NewSpotlight posts to the sidecar with a client that, like the HTTP
// transport's, never follows a redirect.
func NewSpotlight(url string, inner delivery.Transport, log *slog.Logger) *Spotlight {
	return &Spotlight{url: url, inner: inner, client: &http.Client{Timeout: SpotlightTimeout, CheckRedirect: NoRedirects}, log: log}
}

// Send posts to the sidecar, then sends through the inner transport; its
// result is the inner transport's (or nil without one).
func (s *Spotlight) Send(ctx context.Context, envs []*protocol.Envelope) error {
	for _, env := range envs {
		s.post(ctx, env)
	}
	if s.inner == nil {
		return nil
	}
	return s.inner.Send(ctx, envs)
}

func (s *Spotlight) post(ctx context.Context, env *protocol.Envelope) {
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
func (s *Spotlight) Flush(ctx context.Context) error {
	if s.inner == nil {
		return nil
	}
	return s.inner.Flush(ctx)
}

// Close closes the inner transport and the sidecar's connections.
func (s *Spotlight) Close(ctx context.Context) error {
	s.client.CloseIdleConnections()
	if s.inner == nil {
		return nil
	}
	return s.inner.Close(ctx)
}
