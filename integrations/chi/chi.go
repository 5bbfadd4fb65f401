// Package ravenchi reports panics and failed requests of chi routers: it is
// the net/http middleware (ravenhttp) with transactions named by chi's
// route patterns.
//
//	r := chi.NewRouter()
//	r.Use(ravenchi.New())
//	r.Get("/orders/{id}", getOrder)
//
// Everything ravenhttp does holds: a scope per request on r.Context()
// (raven.CaptureExceptionContext(r.Context(), err) inside handlers reports
// with it), panics reported and answered 500, request data built only when
// an event is captured, incoming traces continued. The options are
// ravenhttp's.
//
// # Transaction
//
// Every event of a request is named "METHOD pattern" by the route pattern
// chi matches ("GET /api/orders/{id}", mounted routers included), never by
// the raw path. chi completes the pattern only while it routes, after its
// middlewares started, so the middleware looks the pattern up when the
// request starts, with the router's own Find, and sets it on the request's
// scope before any handler runs. That costs one more walk of the routing
// tree per request (no allocation beyond the name).
//
// Register the middleware on the root router (r.Use, first) or wrap the
// router (ravenchi.New()(r)); on a sub-router it works as well, since it
// looks patterns up from the root. Requests that match no route (404, 405)
// get no transaction; should their handler panic, ravenhttp names the
// event by the raw path.
package ravenchi

import (
	"net/http"
	"sync"

	"github.com/go-chi/chi/v5"
	"github.com/ravenkit/raven"
	ravenhttp "github.com/ravenkit/raven/integrations/http"
)

// New returns a chi middleware: ravenhttp.Handler around the rest of the
// chain, naming each request's transaction by its route pattern.
func New(opts ...ravenhttp.Option) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return ravenhttp.Handler(&namer{next: next}, opts...)
	}
}

// namer runs inside ravenhttp's handler, on the request whose scope
// ravenhttp forked.
type namer struct{ next http.Handler }

// lookups are routing contexts for Find, which fills one in as it walks.
var lookups = sync.Pool{New: func() any { return chi.NewRouteContext() }}

func (n *namer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if pattern := n.pattern(r); pattern != "" {
		raven.ScopeFromContext(r.Context()).SetTransaction(r.Method + " " + pattern)
		// what chi sets once routed; ravenhttp names panics by it, and this
		// request is the one ravenhttp keeps even when a later middleware
		// hands chi a copy
		r.Pattern = pattern
	}
	n.next.ServeHTTP(w, r)
}

// pattern finds the route pattern r will be routed to, from the root
// router.
func (n *namer) pattern(r *http.Request) string {
	var routes chi.Routes
	path := ""
	if rctx := chi.RouteContext(r.Context()); rctx != nil && rctx.Routes != nil {
		routes = rctx.Routes // the root router
		if len(rctx.RoutePatterns) == 0 {
			path = rctx.RoutePath // set by a middleware before routing
		}
	} else if rt, ok := n.next.(chi.Routes); ok {
		routes = rt // the middleware wraps the router
	} else {
		return ""
	}
	if path == "" {
		path = r.URL.RawPath
		if path == "" {
			path = r.URL.Path
		}
		if path == "" {
			path = "/"
		}
	}
	rctx := lookups.Get().(*chi.Context)
	rctx.Reset()
	pattern := routes.Find(rctx, r.Method, path)
	lookups.Put(rctx)
	return pattern
}
