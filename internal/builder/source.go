package builder

import (
	"context"
	"net/http"

	"github.com/ravenkit/raven/internal/errchain"
	"github.com/ravenkit/raven/internal/protocol"
	"github.com/ravenkit/raven/internal/scope"
)

// SafeRequest asks an integration's RequestSource for the request,
// tolerating a panic.
func SafeRequest(src scope.RequestSource) (r *protocol.Request) {
	defer func() {
		if recover() != nil {
			r = nil
		}
	}()
	return src.SentryRequest()
}

// FromSource reads, at capture, what an integration's RequestSource knows
// besides the request (see raven.RequestSource): the transaction, the
// *http.Request, and whether the client went away. It reports true when
// the capture is of context.Canceled after the client went away.
func FromSource(p *Capture, src scope.RequestSource) (gone bool) {
	defer func() {
		if recover() != nil {
			gone = false
		}
	}()
	if t, ok := src.(interface{ SentryTransaction() string }); ok {
		p.Transaction = t.SentryTransaction()
	}
	if x, ok := src.(interface {
		SentryContext() (string, map[string]any)
	}); ok {
		p.ContextName, p.ContextValue = x.SentryContext()
	}
	if r, ok := src.(interface{ SentryHTTPRequest() *http.Request }); ok {
		p.HTTPRequest = r.SentryHTTPRequest()
	}
	if g, ok := src.(interface{ SentryClientGone() bool }); ok && p.Err != nil && g.SentryClientGone() {
		return errchain.Is(p.Err, context.Canceled)
	}
	return false
}
