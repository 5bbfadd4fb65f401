package raven

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
