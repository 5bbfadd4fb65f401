// Package raventest is an in-process Sentry-compatible receiver for tests:
// a real HTTP server on 127.0.0.1 that checks authentication like Sentry,
// decodes compressed bodies, parses envelopes strictly and records what it
// receives. It also has fault knobs (rate limiting, failures, latency,
// hanging) and an in-memory Transport for tests that need no HTTP.
//
//	srv := raventest.NewServer(t)
//	client, _ := raven.New(raven.WithDSN(srv.DSN()))
//	client.CaptureException(err)
//	events, err := srv.WaitForEvents(ctx, 1)
package raventest

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ravenkit/raven"
)

// MaxBodyBytes bounds a request body the server accepts (after
// decompression), like Relay's limits; larger bodies are answered 413.
const MaxBodyBytes = 40 << 20

// ProjectID is the project id in every server's DSN.
const ProjectID = "42"

// ClientReport is a decoded client_report item.
type ClientReport struct {
	Timestamp string      `json:"timestamp"`
	Discarded []Discarded `json:"discarded_events"`
}

// Discarded is one entry of a client report.
type Discarded struct {
	Reason   string `json:"reason"`
	Category string `json:"category"`
	Quantity int    `json:"quantity"`
}

// ServerOption configures a Server.
type ServerOption func(*Server)

// WithLatency delays every answer by d (see SetLatency).
func WithLatency(d time.Duration) ServerOption { return func(s *Server) { s.latency = d } }

// WithKey sets the public key of the server's DSN (default random).
func WithKey(key string) ServerOption { return func(s *Server) { s.key = key } }

// Server is an in-process Sentry-compatible receiver. It is safe for
// concurrent use.
type Server struct {
	srv *httptest.Server
	key string

	mu        sync.Mutex
	changed   chan struct{} // closed and replaced whenever something is recorded
	events    []*raven.Event
	raw       [][]byte
	envelopes []*raven.Envelope
	bodies    [][]byte
	reports   []ClientReport
	requests  int
	rejected  []error

	failN      int
	failStatus int
	status     int
	header     http.Header
	latency    time.Duration
	hang       chan struct{} // non-nil while hanging; closed to release
	closed     chan struct{}
	closeOnce  sync.Once
}

// NewServer starts a receiver and closes it when the test ends.
func NewServer(tb testing.TB, opts ...ServerOption) *Server {
	tb.Helper()
	s, err := Start(opts...)
	if err != nil {
		tb.Fatalf("raventest: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

// Start starts a receiver for programs; the caller must Close it.
func Start(opts ...ServerOption) (*Server, error) {
	s := &Server{changed: make(chan struct{}), closed: make(chan struct{})}
	for _, o := range opts {
		o(s)
	}
	if s.key == "" {
		var b [16]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, err
		}
		s.key = hex.EncodeToString(b[:])
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.handle))
	return s, nil
}

// DSN is the DSN clients use to reach this server.
func (s *Server) DSN() string {
	return "http://" + s.key + "@" + strings.TrimPrefix(s.srv.URL, "http://") + "/" + ProjectID
}

// URL is the server's base URL.
func (s *Server) URL() string { return s.srv.URL }

// Close releases hanging requests and stops the server. Safe to call twice.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closed)
		s.Unhang()
		s.srv.CloseClientConnections()
		s.srv.Close()
	})
}

// Reset forgets everything recorded and restores normal answers.
func (s *Server) Reset() {
	s.mu.Lock()
	s.events, s.raw, s.envelopes, s.bodies, s.reports, s.rejected = nil, nil, nil, nil, nil, nil
	s.requests, s.failN, s.status, s.header, s.latency = 0, 0, 0, nil, 0
	s.mu.Unlock()
	s.Unhang()
}

// FailNext answers the next n requests with status (e.g. 500, 503, 413).
func (s *Server) FailNext(n, status int) {
	s.mu.Lock()
	s.failN, s.failStatus = n, status
	s.mu.Unlock()
}

// RespondWith answers every request with status and header (e.g. 429 with
// Retry-After or X-Sentry-Rate-Limits) until Reset; status 0 restores
// normal answers. A 2xx status still records what was sent.
func (s *Server) RespondWith(status int, header http.Header) {
	s.mu.Lock()
	s.status, s.header = status, header.Clone()
	s.mu.Unlock()
}

// SetLatency delays every answer by d.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	s.latency = d
	s.mu.Unlock()
}

// Hang makes requests block, unanswered, until Unhang or Close.
func (s *Server) Hang() {
	s.mu.Lock()
	if s.hang == nil {
		s.hang = make(chan struct{})
	}
	s.mu.Unlock()
}

// Unhang releases hanging requests; they are then answered normally.
func (s *Server) Unhang() {
	s.mu.Lock()
	if s.hang != nil {
		close(s.hang)
		s.hang = nil
	}
	s.mu.Unlock()
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests++
	hang, latency := s.hang, s.latency
	s.mu.Unlock()
	s.notify()
	if hang != nil {
		select {
		case <-hang:
		case <-s.closed:
			return
		case <-r.Context().Done():
			return
		}
	}
	if latency > 0 {
		t := time.NewTimer(latency)
		select {
		case <-t.C:
		case <-s.closed:
			t.Stop()
			return
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	status, err := s.receive(r)
	if err != nil {
		s.mu.Lock()
		s.rejected = append(s.rejected, err)
		s.mu.Unlock()
		s.notify()
		http.Error(w, err.Error(), status)
		return
	}
	s.mu.Lock()
	forced, header := s.status, s.header
	if s.failN > 0 {
		s.failN--
		forced, header = s.failStatus, nil
	}
	s.mu.Unlock()
	for k, v := range header {
		w.Header()[k] = v
	}
	if forced != 0 {
		w.WriteHeader(forced)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"id":%q}`, s.lastID())
}

func (s *Server) lastID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.events) == 0 {
		return ""
	}
	return string(s.events[len(s.events)-1].EventID)
}

// httpError is a rejection with its status.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func reject(status int, format string, args ...any) (int, error) {
	return status, &httpError{status, fmt.Sprintf(format, args...)}
}

// receive validates and records one request. Fault knobs decide the answer
// afterwards: a request answered 429 or 5xx is still parsed (so malformed
// ones are caught) but recorded only when the answer is a success.
func (s *Server) receive(r *http.Request) (int, error) {
	if r.Method != http.MethodPost {
		return reject(http.StatusMethodNotAllowed, "method %s not allowed", r.Method)
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) != 3 || parts[0] != "api" || (parts[2] != "envelope" && parts[2] != "store") {
		return reject(http.StatusNotFound, "unknown endpoint %s", r.URL.Path)
	}
	if parts[1] != ProjectID {
		return reject(http.StatusNotFound, "unknown project %q", parts[1])
	}
	if key := authKey(r); key != s.key {
		return reject(http.StatusUnauthorized, "invalid sentry_key %q", key)
	}
	body, status, err := readBody(r)
	if err != nil {
		return status, err
	}
	var env *raven.Envelope
	if parts[2] == "store" {
		env = &raven.Envelope{Items: []raven.EnvelopeItem{{Type: raven.ItemEvent, Payload: body, Events: 1}}}
	} else if env, err = raven.ParseEnvelope(body); err != nil {
		return reject(http.StatusBadRequest, "%v", err)
	}
	var events []*raven.Event
	var raws [][]byte
	var reports []ClientReport
	for _, it := range env.Items {
		switch it.Type {
		case raven.ItemEvent:
			var ev raven.Event
			if err := json.Unmarshal(it.Payload, &ev); err != nil {
				return reject(http.StatusBadRequest, "event item: %v", err)
			}
			events = append(events, &ev)
			raws = append(raws, it.Payload)
		case raven.ItemClientReport:
			var rep ClientReport
			if err := json.Unmarshal(it.Payload, &rep); err != nil {
				return reject(http.StatusBadRequest, "client_report item: %v", err)
			}
			reports = append(reports, rep)
		}
	}
	s.mu.Lock()
	forced := s.status
	if s.failN > 0 {
		forced = s.failStatus
	}
	if forced == 0 || forced/100 == 2 {
		s.events = append(s.events, events...)
		s.raw = append(s.raw, raws...)
		s.envelopes = append(s.envelopes, env)
		s.bodies = append(s.bodies, body)
		s.reports = append(s.reports, reports...)
	}
	s.mu.Unlock()
	s.notify()
	return http.StatusOK, nil
}

// authKey finds sentry_key in X-Sentry-Auth or the query string.
func authKey(r *http.Request) string {
	if h := r.Header.Get("X-Sentry-Auth"); h != "" {
		h = strings.TrimSpace(h)
		if !strings.HasPrefix(h, "Sentry ") {
			return ""
		}
		for _, kv := range strings.Split(h[len("Sentry "):], ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
			if k == "sentry_key" {
				return v
			}
		}
		return ""
	}
	return r.URL.Query().Get("sentry_key")
}

func readBody(r *http.Request) ([]byte, int, error) {
	var rd io.Reader = r.Body
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			st, e := reject(http.StatusBadRequest, "gzip body: %v", err)
			return nil, st, e
		}
		defer zr.Close()
		rd = zr
	case "deflate":
		// Both zlib-wrapped and raw deflate are seen in the wild; Sentry
		// accepts zlib. Try zlib's header first, then raw.
		raw, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
		if err != nil {
			st, e := reject(http.StatusBadRequest, "reading body: %v", err)
			return nil, st, e
		}
		rd = deflateReader(raw)
	default:
		st, e := reject(http.StatusUnsupportedMediaType, "unsupported Content-Encoding %q", enc)
		return nil, st, e
	}
	body, err := io.ReadAll(io.LimitReader(rd, MaxBodyBytes+1))
	if err != nil {
		st, e := reject(http.StatusBadRequest, "reading body: %v", err)
		return nil, st, e
	}
	if len(body) > MaxBodyBytes {
		st, e := reject(http.StatusRequestEntityTooLarge, "body over %d bytes", MaxBodyBytes)
		return nil, st, e
	}
	return body, 0, nil
}

func deflateReader(raw []byte) io.Reader {
	if len(raw) >= 2 && raw[0]&0x0f == 8 && (uint16(raw[0])<<8|uint16(raw[1]))%31 == 0 {
		return flate.NewReader(bytes.NewReader(raw[2:]))
	}
	return flate.NewReader(bytes.NewReader(raw))
}

func (s *Server) notify() {
	s.mu.Lock()
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
}

// Events returns the events received, in arrival order.
func (s *Server) Events() []*raven.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*raven.Event(nil), s.events...)
}

// RawEvents returns the JSON payloads of the events received.
func (s *Server) RawEvents() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.raw...)
}

// Envelopes returns the envelopes received.
func (s *Server) Envelopes() []*raven.Envelope {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*raven.Envelope(nil), s.envelopes...)
}

// Bodies returns the decompressed bodies of the requests accepted.
func (s *Server) Bodies() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.bodies...)
}

// ClientReports returns the client reports received.
func (s *Server) ClientReports() []ClientReport {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ClientReport(nil), s.reports...)
}

// Requests is how many requests arrived, whatever their answer.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// Rejected returns why requests were refused (bad auth, malformed bodies).
func (s *Server) Rejected() []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]error(nil), s.rejected...)
}

// WaitForEvents waits until at least n events have arrived and returns
// them, or returns ctx.Err() with what arrived so far.
func (s *Server) WaitForEvents(ctx context.Context, n int) ([]*raven.Event, error) {
	for {
		s.mu.Lock()
		got, ch := len(s.events), s.changed
		s.mu.Unlock()
		if got >= n {
			return s.Events(), nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return s.Events(), fmt.Errorf("raventest: %d of %d events: %w", got, n, ctx.Err())
		}
	}
}

// WaitForRequests waits until at least n requests have arrived.
func (s *Server) WaitForRequests(ctx context.Context, n int) error {
	for {
		s.mu.Lock()
		got, ch := s.requests, s.changed
		s.mu.Unlock()
		if got >= n {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("raventest: %d of %d requests: %w", got, n, ctx.Err())
		}
	}
}

// ErrClosed is returned by a closed Transport.
var ErrClosed = errors.New("raventest: transport closed")
