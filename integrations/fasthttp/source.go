package ravenfasthttp

import (
	"bytes"
	"strings"
	"sync"

	"github.com/ravenkit/raven"
	"github.com/valyala/fasthttp"
)

// Source is the raven.RequestSource of one fasthttp request: it builds the
// event's request when an event is captured, reading the live request,
// and only between Start and End, since fasthttp reuses the RequestCtx
// after the handler returns. Integrations built on fasthttp keep one per
// request; the zero value is ready to Start.
type Source struct {
	mu      sync.Mutex
	ctx     *fasthttp.RequestCtx
	pii     bool
	bodyMax int
}

// Start makes the source read ctx until End. sendDefaultPII adds cookies
// and the client's IP address; bodyMax > 0 records up to that many bytes of
// the body (0 or less: none).
func (s *Source) Start(ctx *fasthttp.RequestCtx, sendDefaultPII bool, bodyMax int) {
	// parse the URI now, so that building the request later only reads it
	ctx.URI()
	s.mu.Lock()
	s.ctx, s.pii, s.bodyMax = ctx, sendDefaultPII, bodyMax
	s.mu.Unlock()
}

// The trace headers' names, canonical already: PeekCanonical finds them as
// Peek would, without copying and normalizing the name on every request.
var (
	sentryTraceKey = []byte("Sentry-Trace")
	traceparentKey = []byte("Traceparent")
)

// Begin starts the source reading ctx (see Start), continues ctx's
// incoming sentry-trace or traceparent header on scope, makes the source
// the scope's request source and stores scope as ctx's (SetScope): what
// the middleware does when a request starts, for integrations built on
// fasthttp that keep a Source of their own.
func (s *Source) Begin(ctx *fasthttp.RequestCtx, scope *raven.Scope, sendDefaultPII bool, bodyMax int) {
	s.Start(ctx, sendDefaultPII, bodyMax)
	if tc := raven.ContinueTrace(string(ctx.Request.Header.PeekCanonical(sentryTraceKey)),
		string(ctx.Request.Header.PeekCanonical(traceparentKey))); tc != nil {
		scope.SetTrace(tc)
	}
	scope.SetRequestSource(s)
	SetScope(ctx, scope)
}

// End stops the source from reading the request: call it before the
// handler returns to fasthttp. Events captured afterwards have no request.
// It waits for a SentryRequest in progress.
func (s *Source) End() {
	s.mu.Lock()
	s.ctx = nil
	s.mu.Unlock()
}

// SentryRequest builds the event's request from the live request, or
// returns nil once End was called.
func (s *Source) SentryRequest() *raven.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	ctx := s.ctx
	if ctx == nil {
		return nil
	}
	uri := ctx.URI()
	scheme := "http"
	if ctx.IsTLS() {
		scheme = "https"
	}
	req := &raven.Request{
		Method:      string(ctx.Method()),
		URL:         scheme + "://" + string(uri.Host()) + string(uri.Path()),
		QueryString: string(uri.QueryString()), // scrubbed with the event
		Headers:     make(map[string]string, ctx.Request.Header.Len()),
	}
	for k, v := range ctx.Request.Header.All() {
		key := string(k)
		if key == fasthttp.HeaderCookie {
			continue
		}
		if prev, ok := req.Headers[key]; ok {
			req.Headers[key] = prev + ", " + string(v)
		} else {
			req.Headers[key] = string(v)
		}
	}
	if s.pii {
		for k, v := range ctx.Request.Header.Cookies() {
			if req.Cookies == nil {
				req.Cookies = make(map[string]string)
			}
			req.Cookies[string(k)] = string(v)
		}
		if ip := ctx.RemoteIP(); ip != nil && !ip.IsUnspecified() {
			req.Env = map[string]string{"REMOTE_ADDR": ip.String()}
		}
	}
	if s.bodyMax > 0 && !ctx.Request.IsBodyStream() && identity(ctx.Request.Header.ContentEncoding()) {
		if b := ctx.Request.Body(); len(b) > 0 {
			if len(b) > s.bodyMax {
				req.Data = strings.ToValidUTF8(string(b[:s.bodyMax]), "") + "…[truncated]"
			} else {
				req.Data = string(b)
			}
		}
	}
	return req
}

func identity(enc []byte) bool {
	return len(enc) == 0 || bytes.EqualFold(enc, []byte("identity"))
}
