package raven

import (
	"strings"
)

// DefaultSpotlightURL is where the Spotlight sidecar listens for envelopes.
const DefaultSpotlightURL = "http://localhost:8969/stream"

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
