package benchmarks

import (
	"net/http"
	"testing"

	"github.com/ravenkit/raven"
	ravenhttp "github.com/ravenkit/raven/integrations/http"
)

func init() {
	ravenMiddleware = func(b *testing.B, h http.Handler) (http.Handler, func(), func(), func() int64) {
		tr := &ravenMem{}
		c, ctx := newRaven(b, raven.WithDSN(memDSN), raven.WithTransport(tr), raven.WithSenders(1))
		wrapped := ravenhttp.Handler(h, ravenhttp.WithClient(c))
		flush := func() { tr.unpark(); flushRaven(b, c) }
		park := func() { tr.park(func() { c.CaptureMessageContext(ctx, "park") }) }
		return wrapped, flush, park, func() int64 { return tr.events.Load() - tr.parks }
	}
}
