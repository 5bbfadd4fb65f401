// Package sink is a loopback HTTP server that accepts events from every SDK
// compared in the benchmarks and counts them on the server side: Sentry
// envelopes (raven, sentry-go; gzip or plain) and the legacy store endpoint
// (raven-go; JSON, or base64 of zlib). It also adds up the discarded
// quantities that client reports announce, so a benchmark can tell a drop
// an SDK reported from one it kept quiet about.
package sink

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Server counts what arrives. Safe for concurrent use.
type Server struct {
	srv      *httptest.Server
	latency  atomic.Int64 // nanoseconds each request waits before the answer
	events   atomic.Int64
	reported atomic.Int64
	requests atomic.Int64
	bad      atomic.Int64
	wire     atomic.Int64 // request body bytes as sent (compressed or not)
	first    atomic.Pointer[[]byte]
	marker   atomic.Pointer[[]byte]
	marked   atomic.Int64

	mu      sync.Mutex
	lastErr error
}

// Start starts a server on 127.0.0.1 that waits latency before answering
// each request. Close it when done.
func Start(latency time.Duration) *Server {
	s := &Server{}
	s.latency.Store(int64(latency))
	s.srv = httptest.NewServer(http.HandlerFunc(s.handle))
	return s
}

// DSN is a DSN pointing at the server, project 1.
func (s *Server) DSN() string {
	return strings.Replace(s.srv.URL, "http://", "http://public@", 1) + "/1"
}

// EnvelopeURL is the envelope endpoint of project 1.
func (s *Server) EnvelopeURL() string { return s.srv.URL + "/api/1/envelope/" }

// FirstBody is the decoded body of the first request the server accepted,
// or nil. It is copied once, so later requests cost the server nothing.
func (s *Server) FirstBody() []byte {
	if p := s.first.Load(); p != nil {
		return *p
	}
	return nil
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Events is the number of events received.
func (s *Server) Events() int64 { return s.events.Load() }

// SetMarker makes the server count, apart, the events whose payload
// contains marker (Marked); nil stops it.
func (s *Server) SetMarker(marker []byte) {
	if marker == nil {
		s.marker.Store(nil)
		return
	}
	m := bytes.Clone(marker)
	s.marker.Store(&m)
}

// Marked is the number of events received that contain the marker.
func (s *Server) Marked() int64 { return s.marked.Load() }

// Reported is the sum of the event-category quantities announced as
// discarded by client reports.
func (s *Server) Reported() int64 { return s.reported.Load() }

// WireBytes is the total size of the request bodies as they arrived,
// before any decompression.
func (s *Server) WireBytes() int64 { return s.wire.Load() }

// Requests is the number of requests received.
func (s *Server) Requests() int64 { return s.requests.Load() }

// Rejected is the number of requests whose body could not be read as an
// envelope or an event; Err describes the last one.
func (s *Server) Rejected() int64 { return s.bad.Load() }

// Err is the last decoding error, or nil.
func (s *Server) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastErr
}

// Reset zeroes the counters.
func (s *Server) Reset() {
	s.events.Store(0)
	s.reported.Store(0)
	s.requests.Store(0)
	s.bad.Store(0)
	s.wire.Store(0)
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	if d := time.Duration(s.latency.Load()); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	cr := &countingReader{r: r.Body}
	r.Body = cr
	buf := bufPool.Get().(*bytes.Buffer)
	defer putBuf(buf)
	err := readBody(r, buf)
	_, _ = io.Copy(io.Discard, io.LimitReader(cr, 64<<20)) // whatever was left unread, so it is counted
	s.wire.Add(cr.n)
	body := buf.Bytes()
	if err == nil {
		switch {
		case strings.HasSuffix(r.URL.Path, "/envelope/"):
			err = s.countEnvelope(body)
		case strings.HasSuffix(r.URL.Path, "/store/"):
			err = s.countStore(body)
		default:
			err = fmt.Errorf("unexpected path %q", r.URL.Path)
		}
	}
	if err != nil {
		s.bad.Add(1)
		s.mu.Lock()
		s.lastErr = err
		s.mu.Unlock()
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if s.first.Load() == nil {
		c := bytes.Clone(body)
		s.first.CompareAndSwap(nil, &c)
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{}`)
}

// Request bodies are read into pooled buffers: the server shares its
// process with the SDK under test, so its garbage would be collected on the
// SDK's time.
var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func putBuf(b *bytes.Buffer) {
	if b.Cap() > 1<<20 {
		return
	}
	b.Reset()
	bufPool.Put(b)
}

type countingReader struct {
	r io.ReadCloser
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countingReader) Close() error { return c.r.Close() }

var gzipReaders sync.Pool

// readBody appends the decoded request body to buf.
func readBody(r *http.Request, buf *bytes.Buffer) error {
	var rd io.Reader = io.LimitReader(r.Body, 64<<20)
	switch r.Header.Get("Content-Encoding") {
	case "":
	case "gzip":
		// Readers are pooled, as a real server would: a new one allocates
		// and clears a 32 KiB window, which would be charged to the SDK
		// that compresses, since the server shares its process.
		zr, _ := gzipReaders.Get().(*gzip.Reader)
		var err error
		if zr == nil {
			zr, err = gzip.NewReader(rd)
		} else {
			err = zr.Reset(rd)
		}
		if err != nil {
			return err
		}
		defer gzipReaders.Put(zr)
		rd = zr
	case "deflate":
		zr, err := zlib.NewReader(rd)
		if err != nil {
			return err
		}
		rd = zr
	default:
		return fmt.Errorf("unsupported Content-Encoding %q", r.Header.Get("Content-Encoding"))
	}
	_, err := buf.ReadFrom(rd)
	return err
}

// countStore reads a legacy store request: a JSON event, or base64 of a
// zlib-compressed one.
func (s *Server) countStore(body []byte) error {
	if len(body) > 0 && body[0] != '{' {
		raw, err := base64.StdEncoding.DecodeString(string(body))
		if err != nil {
			return fmt.Errorf("store body: %w", err)
		}
		zr, err := zlib.NewReader(bytes.NewReader(raw))
		if err != nil {
			return fmt.Errorf("store body: %w", err)
		}
		if body, err = io.ReadAll(zr); err != nil {
			return fmt.Errorf("store body: %w", err)
		}
	}
	var ev struct {
		EventID string `json:"event_id"`
	}
	if err := json.Unmarshal(body, &ev); err != nil {
		return fmt.Errorf("store body: %w", err)
	}
	if ev.EventID == "" {
		return errors.New("store body: event without event_id")
	}
	s.events.Add(1)
	return nil
}

type itemHeader struct {
	Type   string `json:"type"`
	Length *int   `json:"length"`
}

type clientReport struct {
	Discarded []struct {
		Reason   string `json:"reason"`
		Category string `json:"category"`
		Quantity int64  `json:"quantity"`
	} `json:"discarded_events"`
}

// countEnvelope walks an envelope: a header line, then items made of a
// header line and a payload (length-prefixed or up to the next newline).
// Every event payload is checked to be JSON.
func (s *Server) countEnvelope(body []byte) error {
	_, rest := cutLine(body)
	var events, reported int64
	for len(rest) > 0 {
		var line []byte
		line, rest = cutLine(rest)
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var h itemHeader
		if jerr := json.Unmarshal(line, &h); jerr != nil {
			return fmt.Errorf("item header: %w", jerr)
		}
		var payload []byte
		if h.Length != nil {
			if *h.Length < 0 || *h.Length > len(rest) {
				return fmt.Errorf("item length %d out of range", *h.Length)
			}
			payload, rest = rest[:*h.Length], rest[*h.Length:]
			if len(rest) > 0 && rest[0] == '\n' {
				rest = rest[1:]
			}
		} else {
			payload, rest = cutLine(rest)
		}
		switch h.Type {
		case "event":
			if !json.Valid(payload) {
				return errors.New("event payload is not JSON")
			}
			events++
			if m := s.marker.Load(); m != nil && bytes.Contains(payload, *m) {
				s.marked.Add(1)
			}
		case "client_report":
			var cr clientReport
			if err := json.Unmarshal(payload, &cr); err != nil {
				return fmt.Errorf("client report: %w", err)
			}
			for _, d := range cr.Discarded {
				if d.Category == "error" || d.Category == "default" {
					reported += d.Quantity
				}
			}
		}
	}
	s.events.Add(events)
	s.reported.Add(reported)
	return nil
}

// cutLine splits b after its first newline, which is not part of line.
func cutLine(b []byte) (line, rest []byte) {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i], b[i+1:]
	}
	return b, nil
}
