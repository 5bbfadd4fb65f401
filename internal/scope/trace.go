package scope

import (
	"encoding/hex"
	"math/rand/v2"
	"strconv"
	"strings"
)

// ContinueTrace parses the sentry-trace header or, failing that, the W3C
// traceparent header, into the context of a new span of that trace (see
// raven.ContinueTrace); nil when neither holds a valid trace.
//
// Header formats: develop.sentry.dev/sdk/telemetry/traces/#header-sentry-trace
// and www.w3.org/TR/trace-context/#traceparent-header.
func ContinueTrace(sentryTrace, traceparent string) *Trace {
	if v := strings.TrimSpace(sentryTrace); v != "" {
		parts := strings.Split(v, "-")
		if len(parts) >= 2 && len(parts) <= 3 && isLowerHex(parts[0], 32) && isLowerHex(parts[1], 16) {
			tc := &Trace{TraceID: parts[0], ParentSpanID: parts[1], SpanID: newSpanID()}
			if len(parts) == 3 {
				sampled := parts[2] == "1"
				tc.Sampled = &sampled
			}
			return tc
		}
	}
	if v := strings.TrimSpace(traceparent); v != "" {
		parts := strings.Split(v, "-")
		if len(parts) == 4 && isLowerHex(parts[0], 2) && parts[0] != "ff" && isLowerHex(parts[1], 32) &&
			isLowerHex(parts[2], 16) && isLowerHex(parts[3], 2) &&
			strings.Trim(parts[1], "0") != "" && strings.Trim(parts[2], "0") != "" {
			flags, _ := strconv.ParseUint(parts[3], 16, 8)
			sampled := flags&1 == 1 // the sampled flag
			return &Trace{TraceID: parts[1], ParentSpanID: parts[2], SpanID: newSpanID(), Sampled: &sampled}
		}
	}
	return nil
}

func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// newSpanID returns 16 lowercase hex digits, never all zeros.
func newSpanID() string {
	var b [8]byte
	for {
		v := rand.Uint64()
		if v == 0 {
			continue
		}
		for i := range b {
			b[i] = byte(v >> (8 * i))
		}
		return hex.EncodeToString(b[:])
	}
}
