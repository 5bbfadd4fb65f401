package raven

import "github.com/ravenkit/raven/internal/telemetry"

// BaseSenders exposes baseSenders to the external tests.
const BaseSenders = baseSenders

// CrashStatePath returns the path of the file c saves its scope to for
// crash reports, or "" without crash reporting.
func CrashStatePath(c *Client) string {
	if c.ext.crash == nil {
		return ""
	}
	return c.ext.crash.StatePath()
}

// EnqueueItem hands an encoded item of the kind whose data category is
// category to c's pipeline, as the producers of kinds other than events
// do.
func EnqueueItem(c *Client, category string, payload []byte) bool {
	k, ok := telemetry.ByCategory(category)
	if !ok {
		panic("no kind for " + category)
	}
	return c.enqueueItem(k, telemetry.Item{Payload: payload})
}
