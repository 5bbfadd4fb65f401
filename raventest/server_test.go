package raventest_test

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/internal/schematest"
	"github.com/ravenkit/raven/raventest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const event = `{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc","timestamp":"2026-01-02T03:04:05Z","platform":"go","logentry":{"formatted":"hi"}}`

func envelope(payload string) []byte {
	return []byte(fmt.Sprintf("{}\n{\"type\":\"event\",\"length\":%d}\n%s\n", len(payload), payload))
}

func post(t *testing.T, srv *raventest.Server, path string, body []byte, hdr map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL()+path, bytes.NewReader(body))
	require.NoError(t, err)
	d, err := raven.ParseDSN(srv.DSN())
	require.NoError(t, err)
	req.Header.Set("X-Sentry-Auth", d.AuthHeader())
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String()
}

func TestRoundTripWithRealClient(t *testing.T) {
	srv := raventest.NewServer(t)
	c, err := raven.New(raven.WithDSN(srv.DSN()))
	require.NoError(t, err)
	c.Scope().SetTag("k", "v")
	id := c.CaptureException(errors.New("boom"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, c.Close(ctx))
	evs, err := srv.WaitForEvents(ctx, 1)
	require.NoError(t, err)
	assert.Equal(t, id, evs[0].EventID)
	assert.Equal(t, "v", evs[0].Tags["k"])
	assert.Equal(t, "boom", evs[0].Exception.Values[0].Value)
	for _, raw := range srv.RawEvents() {
		schematest.Check(t, raw)
	}
	assert.Len(t, srv.Envelopes(), 1)
	assert.Len(t, srv.Bodies(), 1)
}

func TestAuth(t *testing.T) {
	srv := raventest.NewServer(t, raventest.WithKey("right"))
	tests := []struct {
		name   string
		path   string
		hdr    map[string]string
		status int
	}{
		{"good header", "/api/42/envelope/", nil, 200},
		{"wrong key", "/api/42/envelope/", map[string]string{"X-Sentry-Auth": "Sentry sentry_version=7, sentry_key=wrong"}, 401},
		{"missing auth", "/api/42/envelope/", map[string]string{"X-Sentry-Auth": ""}, 401},
		{"not a Sentry header", "/api/42/envelope/", map[string]string{"X-Sentry-Auth": "Bearer right"}, 401},
		{"key in query", "/api/42/envelope/?sentry_key=right", map[string]string{"X-Sentry-Auth": ""}, 200},
		{"wrong project", "/api/7/envelope/", nil, 404},
		{"unknown endpoint", "/api/42/other/", nil, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _ := post(t, srv, tt.path, envelope(event), tt.hdr)
			assert.Equal(t, tt.status, status)
		})
	}
	assert.Len(t, srv.Events(), 2)
	assert.Len(t, srv.Rejected(), 5)
}

func TestCompressedBodies(t *testing.T) {
	srv := raventest.NewServer(t)
	var gz, zl, raw bytes.Buffer
	w := gzip.NewWriter(&gz)
	_, _ = w.Write(envelope(event))
	require.NoError(t, w.Close())
	zw := zlib.NewWriter(&zl)
	_, _ = zw.Write(envelope(event))
	require.NoError(t, zw.Close())
	fw, _ := flate.NewWriter(&raw, flate.DefaultCompression)
	_, _ = fw.Write(envelope(event))
	require.NoError(t, fw.Close())

	for name, tc := range map[string]struct {
		body   []byte
		enc    string
		status int
	}{
		"gzip":           {gz.Bytes(), "gzip", 200},
		"zlib deflate":   {zl.Bytes(), "deflate", 200},
		"raw deflate":    {raw.Bytes(), "deflate", 200},
		"corrupt gzip":   {[]byte("not gzip"), "gzip", 400},
		"truncated gzip": {gz.Bytes()[:len(gz.Bytes())/2], "gzip", 400},
		"unknown":        {envelope(event), "br", 415},
	} {
		t.Run(name, func(t *testing.T) {
			status, _ := post(t, srv, "/api/42/envelope/", tc.body, map[string]string{"Content-Encoding": tc.enc})
			assert.Equal(t, tc.status, status)
		})
	}
	assert.Len(t, srv.Events(), 3)
	for _, b := range srv.Bodies() {
		assert.Equal(t, envelope(event), b, "bodies are recorded decompressed")
	}
}

func TestMalformedEnvelopes(t *testing.T) {
	srv := raventest.NewServer(t)
	for name, body := range map[string]string{
		"empty":          "",
		"bad header":     "nope\n",
		"short item":     "{}\n{\"type\":\"event\",\"length\":500}\n{}\n",
		"event not JSON": "{}\n{\"type\":\"event\",\"length\":3}\nabc\n",
		"bad report":     "{}\n{\"type\":\"client_report\",\"length\":2}\n[]\n",
	} {
		t.Run(name, func(t *testing.T) {
			status, reason := post(t, srv, "/api/42/envelope/", []byte(body), nil)
			assert.Equal(t, 400, status)
			assert.NotEmpty(t, strings.TrimSpace(reason), "the answer says why")
		})
	}
	assert.Empty(t, srv.Events())
}

func TestStoreEndpointAndClientReports(t *testing.T) {
	srv := raventest.NewServer(t)
	status, _ := post(t, srv, "/api/42/store/", []byte(event), nil)
	assert.Equal(t, 200, status)
	rep := `{"timestamp":"2026-01-01T00:00:00Z","discarded_events":[{"reason":"queue_overflow","category":"error","quantity":3}]}`
	body := fmt.Sprintf("{}\n{\"type\":\"client_report\",\"length\":%d}\n%s\n", len(rep), rep)
	status, _ = post(t, srv, "/api/42/envelope/", []byte(body), nil)
	assert.Equal(t, 200, status)
	require.Len(t, srv.Events(), 1)
	assert.Equal(t, "hi", srv.Events()[0].Message.Formatted)
	require.Len(t, srv.ClientReports(), 1)
	assert.Equal(t, raventest.Discarded{Reason: "queue_overflow", Category: "error", Quantity: 3}, srv.ClientReports()[0].Discarded[0])
	srv.Reset()
	assert.Empty(t, srv.Events())
	assert.Zero(t, srv.Requests())
}

func TestConcurrentSenders(t *testing.T) {
	srv := raventest.NewServer(t)
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 4; j++ {
				status, _ := post(t, srv, "/api/42/envelope/", envelope(event), nil)
				assert.Equal(t, 200, status)
			}
		}()
	}
	wg.Wait()
	assert.Len(t, srv.Events(), 200)
	assert.Equal(t, 200, srv.Requests())
}

func TestFaultKnobs(t *testing.T) {
	srv := raventest.NewServer(t)
	t.Run("fail next", func(t *testing.T) {
		srv.FailNext(2, 503)
		s1, _ := post(t, srv, "/api/42/envelope/", envelope(event), nil)
		s2, _ := post(t, srv, "/api/42/envelope/", envelope(event), nil)
		s3, _ := post(t, srv, "/api/42/envelope/", envelope(event), nil)
		assert.Equal(t, []int{503, 503, 200}, []int{s1, s2, s3})
		assert.Len(t, srv.Events(), 1, "failed requests record nothing")
	})
	t.Run("respond with", func(t *testing.T) {
		srv.Reset()
		srv.RespondWith(429, http.Header{"Retry-After": {"7"}, "X-Sentry-Rate-Limits": {"7:error:organization"}})
		req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/api/42/envelope/", bytes.NewReader(envelope(event)))
		d, _ := raven.ParseDSN(srv.DSN())
		req.Header.Set("X-Sentry-Auth", d.AuthHeader())
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, 429, resp.StatusCode)
		assert.Equal(t, "7", resp.Header.Get("Retry-After"))
		assert.Equal(t, "7:error:organization", resp.Header.Get("X-Sentry-Rate-Limits"))
		srv.RespondWith(0, nil)
		status, _ := post(t, srv, "/api/42/envelope/", envelope(event), nil)
		assert.Equal(t, 200, status)
	})
	t.Run("latency", func(t *testing.T) {
		srv.Reset()
		srv.SetLatency(60 * time.Millisecond)
		start := time.Now()
		post(t, srv, "/api/42/envelope/", envelope(event), nil)
		assert.GreaterOrEqual(t, time.Since(start), 60*time.Millisecond)
		srv.SetLatency(0)
	})
	t.Run("hang", func(t *testing.T) {
		srv.Reset()
		srv.Hang()
		done := make(chan int)
		go func() {
			status, _ := post(t, srv, "/api/42/envelope/", envelope(event), nil)
			done <- status
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		require.NoError(t, srv.WaitForRequests(ctx, 1))
		select {
		case <-done:
			t.Fatal("a hanging server answered")
		case <-time.After(50 * time.Millisecond):
		}
		srv.Unhang()
		assert.Equal(t, 200, <-done)
	})
}

func TestCloseReleasesHangingRequests(t *testing.T) {
	srv, err := raventest.Start()
	require.NoError(t, err)
	srv.Hang()
	c, err := raven.New(raven.WithDSN(srv.DSN()))
	require.NoError(t, err)
	c.CaptureMessage("stuck")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	require.NoError(t, srv.WaitForRequests(ctx, 1))
	closed := make(chan struct{})
	go func() { srv.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(3 * time.Second):
		t.Fatal("Close hung on a hanging request")
	}
	srv.Close() // twice is fine
	cctx, ccancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer ccancel()
	_ = c.Close(cctx)
	st := c.Stats()
	assert.Equal(t, st.Captured, st.Delivered+st.DroppedTotal())
}

func TestWaitForEventsDeadline(t *testing.T) {
	srv := raventest.NewServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	evs, err := srv.WaitForEvents(ctx, 1)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Empty(t, evs)
}

func TestInMemoryTransport(t *testing.T) {
	tr := raventest.NewTransport()
	c, err := raven.New(raven.WithDSN("https://k@example.com/1"), raven.WithTransport(tr))
	require.NoError(t, err)
	c.CaptureMessage("one")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	evs, err := tr.WaitForEvents(ctx, 1)
	require.NoError(t, err)
	assert.Equal(t, "one", evs[0].Message.Formatted)
	require.NoError(t, c.Close(ctx))
	assert.Len(t, tr.Envelopes(), 1)
	assert.ErrorIs(t, tr.Send(ctx, nil), raventest.ErrClosed)
	short, cancel2 := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel2()
	_, err = tr.WaitForEvents(short, 2)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

func FuzzServerEnvelope(f *testing.F) {
	f.Add(envelope(event))
	f.Add([]byte("{}\n{\"type\":\"client_report\",\"length\":2}\n{}\n"))
	f.Add([]byte("{}\n{\"type\":\"event\"}\n{}"))
	f.Add([]byte(""))
	srv := raventest.NewServer(f)
	d, err := raven.ParseDSN(srv.DSN())
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := http.NewRequest(http.MethodPost, srv.URL()+"/api/42/envelope/", bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("X-Sentry-Auth", d.AuthHeader())
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		if resp.StatusCode != 200 && resp.StatusCode != 400 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
}
