package raven_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/raventest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// reportLedger is a server that records the client reports of every
// envelope it reads, and then answers (or not) as answer says for the
// n-th request (1-based): a status, or 0 to drop the connection after
// reading the whole request (the envelope is stored; the response is
// lost).
type reportLedger struct {
	mu       sync.Mutex
	reported map[raven.DropReason]uint64
	events   map[string]int // event ids stored
	requests atomic.Int32
}

func newReportLedger(t *testing.T, answer func(n int32) int) (*reportLedger, string) {
	l := &reportLedger{reported: map[raven.DropReason]uint64{}, events: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := l.requests.Add(1)
		body, err := io.ReadAll(r.Body)
		if !assert.NoError(t, err) {
			return
		}
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(bytes.NewReader(body))
			require.NoError(t, err)
			body, err = io.ReadAll(zr)
			require.NoError(t, err)
		}
		env, err := raven.ParseEnvelope(body)
		require.NoError(t, err)
		status := answer(n)
		if status == 0 || status/100 == 2 {
			l.store(t, env)
		}
		if status == 0 {
			conn, _, err := w.(http.Hijacker).Hijack()
			if assert.NoError(t, err) {
				conn.Close()
			}
			return
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return l, "http://public@" + strings.TrimPrefix(srv.URL, "http://") + "/" + raventest.ProjectID
}

func (l *reportLedger) store(t *testing.T, env *raven.Envelope) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, it := range env.Items {
		switch it.Type {
		case raven.ItemClientReport:
			var rep raventest.ClientReport
			require.NoError(t, json.Unmarshal(it.Payload, &rep))
			for _, d := range rep.Discarded {
				l.reported[raven.DropReason(d.Reason)] += uint64(d.Quantity)
			}
		case raven.ItemEvent:
			l.events[string(env.Header.EventID)]++
		}
	}
}

func (l *reportLedger) totals() (map[raven.DropReason]uint64, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := map[raven.DropReason]uint64{}
	for k, v := range l.reported {
		m[k] = v
	}
	return m, len(l.events)
}

// TestClientReportsReportEachDropOnce: whatever the server does with the
// responses, every drop reaches it in exactly one client report: the
// quantities it was told add up to Stats().Dropped, reason by reason.
// When the answer to a request that carried a report is lost, the report
// counts as sent (the server has it here) and the retries go without it.
func TestClientReportsReportEachDropOnce(t *testing.T) {
	const events = 17
	tests := []struct {
		name   string
		answer func(n int32) int
		// stored is how many distinct events the server stores
		stored int
	}{
		{"server stores every envelope, every response is lost", func(int32) int { return 0 }, events},
		{"every other response is lost", func(n int32) int {
			if n%2 == 1 {
				return 0
			}
			return 200
		}, events},
		{"server refuses every attempt at the first event, then accepts", func(n int32) int {
			if n <= raven.DefaultMaxAttempts {
				return 503
			}
			return 200
		}, events - 1},
		{"responses lost, then the server refuses, then accepts", func(n int32) int {
			switch {
			case n <= 10:
				return 0
			case n <= 20:
				return 503
			}
			return 200
		}, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ledger, dsn := newReportLedger(t, tt.answer)
			c, err := raven.New(raven.WithDSN(dsn), fastRetries(), raven.WithSenders(1),
				raven.WithHTTPTransportOptions(raven.WithRequestTimeout(5*time.Second)))
			require.NoError(t, err)
			for i := 0; i < events; i++ {
				c.CaptureMessage("sent while answers go missing")
				require.NoError(t, c.Flush(context.Background()))
			}
			closeClient(t, c)

			st := c.Stats()
			reported, stored := ledger.totals()
			assert.Equal(t, st.Dropped, reported, "every drop reported once: stats %v, server told %v", st.Dropped, reported)
			assert.Equal(t, uint64(events), st.Delivered+st.DroppedTotal())
			if tt.stored >= 0 {
				assert.Equal(t, tt.stored, stored)
			}
		})
	}
}

// TestHTTPTransportMaybeReceived: DropError.MaybeReceived tells a send
// whose request may have reached the server from one that certainly did
// not, and the retries after the former leave the client report out.
func TestHTTPTransportMaybeReceived(t *testing.T) {
	closedURL := func() string {
		s := httptest.NewServer(http.NotFoundHandler())
		s.Close()
		return s.URL
	}
	tests := []struct {
		name    string
		handler http.HandlerFunc // nil: nothing listens
		maybe   bool
		// reports is how many requests carried the client report
		reports int32
	}{
		{"nothing listens", nil, false, 0},
		{"server answers 503", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) }, false, 3},
		{"connection dropped after the request was read", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.ReadAll(r.Body)
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		}, true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var withReport, requests atomic.Int32
			url := closedURL()
			if tt.handler != nil {
				s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					requests.Add(1)
					body, _ := io.ReadAll(r.Body)
					if bytes.Contains(body, []byte(`"type":"client_report"`)) {
						withReport.Add(1)
					}
					tt.handler(w, r)
				}))
				t.Cleanup(s.Close)
				url = s.URL
			}
			d, err := raven.ParseDSN("http://public@" + strings.TrimPrefix(url, "http://") + "/1")
			require.NoError(t, err)
			tr, err := raven.NewHTTPTransport(d, raven.WithGzip(false), raven.WithRetries(3, 10*time.Second),
				raven.WithBackoff(func(int) time.Duration { return time.Millisecond }))
			require.NoError(t, err)
			defer tr.Close(context.Background())
			env := &raven.Envelope{Items: []raven.EnvelopeItem{
				{Type: raven.ItemEvent, Payload: []byte(`{}`), Events: 1},
				{Type: raven.ItemClientReport, Payload: []byte(`{"discarded_events":[]}`)},
			}}
			err = tr.Send(context.Background(), []*raven.Envelope{env})
			var de *raven.DropError
			require.ErrorAs(t, err, &de)
			assert.Equal(t, tt.maybe, de.MaybeReceived)
			assert.Equal(t, tt.reports, withReport.Load())
			if tt.handler != nil {
				assert.Equal(t, int32(3), requests.Load(), "the event is retried either way")
			}

			// an envelope holding only a report is not retried once it may have arrived
			requests.Store(0)
			err = tr.Send(context.Background(), []*raven.Envelope{{Items: env.Items[1:]}})
			require.ErrorAs(t, err, &de)
			assert.Equal(t, tt.maybe, de.MaybeReceived)
			if tt.maybe {
				assert.Equal(t, int32(1), requests.Load())
			}
		})
	}
}
