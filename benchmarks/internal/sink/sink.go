// Package sink is a loopback HTTP server that accepts events from every SDK
// compared in the benchmarks and counts them on the server side: Sentry
// envelopes (raven, sentry-go; gzip or plain) and the legacy store endpoint
// (raven-go; JSON, or base64 of zlib). It also adds up the discarded
// quantities that client reports announce, so a benchmark can tell a drop
// an SDK reported from one it kept quiet about.
package sink

import (
	"bufio"
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
	last     atomic.Pointer[[]byte]

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

// LastBody is the decoded body of the last request, or nil.
func (s *Server) LastBody() []byte {
	if p := s.last.Load(); p != nil {
		return *p
	}
	return nil
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Events is the number of events received.
func (s *Server) Events() int64 { return s.events.Load() }

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
	body, err := readBody(r)
	_, _ = io.Copy(io.Discard, io.LimitReader(cr, 64<<20)) // whatever was left unread, so it is counted
	s.wire.Add(cr.n)
	if err == nil {
		s.last.Store(&body)
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
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{}`)
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

func readBody(r *http.Request) ([]byte, error) {
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
			return nil, err
		}
		defer gzipReaders.Put(zr)
		rd = zr
	case "deflate":
		zr, err := zlib.NewReader(rd)
		if err != nil {
			return nil, err
		}
		rd = zr
	default:
		return nil, fmt.Errorf("unsupported Content-Encoding %q", r.Header.Get("Content-Encoding"))
	}
	return io.ReadAll(rd)
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
func (s *Server) countEnvelope(body []byte) error {
	br := bufio.NewReader(bytes.NewReader(body))
	if _, err := br.ReadBytes('\n'); err != nil && err != io.EOF {
		return err
	}
	var events, reported int64
	for {
		line, err := br.ReadBytes('\n')
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			if err == io.EOF {
				break
			}
			if err != nil {
				return err
			}
			continue
		}
		var h itemHeader
		if jerr := json.Unmarshal(line, &h); jerr != nil {
			return fmt.Errorf("item header: %w", jerr)
		}
		var payload []byte
		if h.Length != nil {
			if *h.Length < 0 || *h.Length > len(body) {
				return fmt.Errorf("item length %d out of range", *h.Length)
			}
			payload = make([]byte, *h.Length)
			if _, err := io.ReadFull(br, payload); err != nil {
				return fmt.Errorf("item payload: %w", err)
			}
			if b, err := br.ReadByte(); err == nil && b != '\n' {
				_ = br.UnreadByte()
			}
		} else {
			payload, _ = br.ReadBytes('\n')
			payload = bytes.TrimRight(payload, "\n")
		}
		switch h.Type {
		case "event":
			if !json.Valid(payload) {
				return errors.New("event payload is not JSON")
			}
			events++
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
