// Package httpreq is what the net/http based integrations (ravenhttp,
// ravengin, ravenecho, ravenecho5) share: the event's request built from an
// *http.Request at capture time, the recorder that keeps the start of a
// request body as the handler reads it, and a cache of transaction names.
package httpreq

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/ravenkit/raven/internal/protocol"
)

// Request builds the event's request from r: method, URL without its
// query, the query string and the headers (scrubbed later with the event),
// never the Cookie header; with pii the cookies and the client's address
// too; and what body recorded, when it is not nil. Integrations call it
// from their RequestSource, so a request that produces no event costs
// nothing here.
func Request(r *http.Request, pii bool, body *Body) *protocol.Request {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	req := &protocol.Request{
		Method:      r.Method,
		URL:         scheme + "://" + r.Host + r.URL.Path,
		QueryString: r.URL.RawQuery, // scrubbed with the event
		Headers:     make(map[string]string, len(r.Header)),
	}
	for k, v := range r.Header {
		if k == "Cookie" {
			continue
		}
		req.Headers[k] = strings.Join(v, ", ")
	}
	if pii {
		if cs := r.Cookies(); len(cs) > 0 {
			req.Cookies = make(map[string]string, len(cs))
			for _, c := range cs {
				req.Cookies[c.Name] = c.Value
			}
		}
		if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
			req.Env = map[string]string{"REMOTE_ADDR": host}
		}
	}
	if body != nil {
		req.Data = body.String()
	}
	return req
}

// Header is h.Get(key) for a key already in canonical form.
func Header(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Body keeps the first max bytes of a request body as the handler reads
// it; it replaces the request's Body.
type Body struct {
	rc        io.ReadCloser
	max       int
	mu        sync.Mutex
	buf       bytes.Buffer
	truncated bool
}

// NewBody records up to max bytes of what is read from rc.
func NewBody(rc io.ReadCloser, max int) *Body { return &Body{rc: rc, max: max} }

// Read reads from the body, keeping what fits.
func (b *Body) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if n > 0 {
		b.mu.Lock()
		room := b.max - b.buf.Len()
		if room > 0 {
			b.buf.Write(p[:min(n, room)])
		}
		if n > room {
			b.truncated = true
		}
		b.mu.Unlock()
	}
	return n, err
}

// Close closes the body.
func (b *Body) Close() error { return b.rc.Close() }

// String is what was recorded, with a marker when the body was longer.
func (b *Body) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.buf.String()
	if b.truncated {
		s += "…[truncated]"
	}
	return s
}

// MaxNames bounds how many transaction names a Names keeps: routes and
// methods are few, but a client can send any method.
const MaxNames = 1024

// Names keeps the transaction names built so far, "METHOD route" by method
// and route, so that a request costs two map lookups and no allocation.
// Readers load an immutable map; a new name copies it. The zero value is
// ready to use.
type Names struct {
	mu sync.Mutex
	m  atomic.Pointer[map[string]map[string]string]
	n  int
}

// Transaction returns "method route", kept for the next request while
// fewer than MaxNames are.
func (ns *Names) Transaction(method, route string) string {
	if m := ns.m.Load(); m != nil {
		if name, ok := (*m)[method][route]; ok {
			return name
		}
	}
	name := method + " " + route
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if ns.n >= MaxNames {
		return name
	}
	next := make(map[string]map[string]string, 8)
	if m := ns.m.Load(); m != nil {
		for k, v := range *m {
			next[k] = v
		}
	}
	routes := make(map[string]string, len(next[method])+1)
	for k, v := range next[method] {
		routes[k] = v
	}
	routes[route] = name
	next[method] = routes
	ns.m.Store(&next)
	ns.n++
	return name
}
