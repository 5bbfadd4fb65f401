package raven

import "github.com/ravenkit/raven/internal/scope"

// ContinueTrace reads the trace an incoming request belongs to from its
// `sentry-trace` header (traceid-spanid[-sampled]) or, when that is absent
// or malformed, its W3C `traceparent` header
// (version-traceid-parentid-flags), and returns the context of a new span
// in it: the same trace id, the caller's span as parent, a fresh span id.
// It returns nil when neither header holds a valid trace. Integrations call
// it with the request's headers and set the result on the request's scope
// (Scope.SetTrace), so that events captured while serving the request join
// the caller's trace.
//
// Header formats: develop.sentry.dev/sdk/telemetry/traces/#header-sentry-trace
// and www.w3.org/TR/trace-context/#traceparent-header.
func ContinueTrace(sentryTrace, traceparent string) *TraceContext {
	return scope.ContinueTrace(sentryTrace, traceparent)
}
