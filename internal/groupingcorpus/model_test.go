package groupingcorpus

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/ravenkit/raven"
)

// groupingKey models the grouping of error events by stack trace that
// Sentry documents (docs.sentry.io/concepts/data-management/event-grouping/,
// "Grouping by Stack Trace" and "Grouping by Exception"):
//
//   - when an exception has a stack trace, grouping is based on the stack
//     traces and the exception types of the chain; values (messages) do
//     not count;
//   - only in-app frames count, when there are any; otherwise every frame;
//   - a frame counts by its module (or, without one, its file name) and
//     its function; line numbers do not count (context lines count only
//     for platforms without function names, which Go is not);
//   - without any stack trace, the exception types and values count.
//
// rawNames keys by the function names as the runtime reported them
// (raw_function when set), which is what grouping would see without the
// SDK's normalization.
func groupingKey(ev *raven.Event, rawNames bool) string {
	if ev.Exception == nil {
		return "message:" + ev.Message.Formatted
	}
	excs := ev.Exception.Values
	hasStack, hasInApp := false, false
	for _, e := range excs {
		if e.Stacktrace == nil {
			continue
		}
		for _, f := range e.Stacktrace.Frames {
			hasStack = true
			hasInApp = hasInApp || f.InApp
		}
	}
	var b strings.Builder
	for _, e := range excs {
		b.WriteString("type:" + e.Type + "\n")
		if !hasStack {
			b.WriteString("value:" + e.Value + "\n")
			continue
		}
		if e.Stacktrace == nil {
			continue
		}
		for _, f := range e.Stacktrace.Frames {
			if hasInApp && !f.InApp {
				continue
			}
			fn := f.Function
			if rawNames {
				fn = cmp.Or(f.RawFunction, f.Function)
			}
			b.WriteString("frame:" + cmp.Or(f.Module, f.Filename) + " " + fn + "\n")
		}
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:8])
}
