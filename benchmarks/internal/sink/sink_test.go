package sink

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ravenkit/raven"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const twoEventsAndReport = `{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc"}
{"type":"event","length":53}
{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc","x":1}
{"type":"event"}
{"event_id":"00000000000000000000000000000001"}
{"type":"client_report"}
{"timestamp":"2026-01-01T00:00:00Z","discarded_events":[{"reason":"queue_overflow","category":"error","quantity":7},{"reason":"sample_rate","category":"transaction","quantity":100}]}
`

func gzipped(t *testing.T, s string) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write([]byte(s))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func deflatedBase64(t *testing.T, s string) []byte {
	var buf bytes.Buffer
	zw := zlib.NewWriter(&buf)
	_, err := zw.Write([]byte(s))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return []byte(base64.StdEncoding.EncodeToString(buf.Bytes()))
}

func TestServerCounts(t *testing.T) {
	cases := []struct {
		name                         string
		path, encoding               string
		body                         func(t *testing.T) []byte
		status                       int
		events, reported, rejections int64
	}{
		{"envelope", "/api/1/envelope/", "", func(*testing.T) []byte { return []byte(twoEventsAndReport) }, 200, 2, 7, 0},
		{"gzip envelope", "/api/1/envelope/", "gzip", func(t *testing.T) []byte { return gzipped(t, twoEventsAndReport) }, 200, 2, 7, 0},
		{"store JSON", "/api/1/store/", "", func(*testing.T) []byte { return []byte(`{"event_id":"abc","message":"m"}`) }, 200, 1, 0, 0},
		{"store base64 zlib", "/api/1/store/", "", func(t *testing.T) []byte { return deflatedBase64(t, `{"event_id":"abc"}`) }, 200, 1, 0, 0},
		{"store without id", "/api/1/store/", "", func(*testing.T) []byte { return []byte(`{"message":"m"}`) }, 400, 0, 0, 1},
		{"event not JSON", "/api/1/envelope/", "", func(*testing.T) []byte { return []byte("{}\n{\"type\":\"event\",\"length\":3}\nabc\n") }, 400, 0, 0, 1},
		{"truncated item", "/api/1/envelope/", "", func(*testing.T) []byte { return []byte("{}\n{\"type\":\"event\",\"length\":99}\n{}\n") }, 400, 0, 0, 1},
		{"unknown encoding", "/api/1/envelope/", "br", func(*testing.T) []byte { return []byte("x") }, 400, 0, 0, 1},
		{"unknown path", "/elsewhere", "", func(*testing.T) []byte { return []byte("{}") }, 400, 0, 0, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := Start(0)
			defer s.Close()
			req, err := http.NewRequest(http.MethodPost, s.srv.URL+tc.path, bytes.NewReader(tc.body(t)))
			require.NoError(t, err)
			if tc.encoding != "" {
				req.Header.Set("Content-Encoding", tc.encoding)
			}
			resp, err := s.srv.Client().Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, tc.status, resp.StatusCode)
			assert.Equal(t, tc.events, s.Events())
			assert.Equal(t, tc.reported, s.Reported())
			assert.Equal(t, tc.rejections, s.Rejected())
			assert.Equal(t, int64(1), s.Requests())
			assert.Equal(t, int64(len(tc.body(t))), s.WireBytes())
			if tc.rejections > 0 {
				assert.Error(t, s.Err())
				assert.Nil(t, s.FirstBody(), "a rejected body is not kept")
			} else if tc.path == "/api/1/envelope/" {
				assert.Equal(t, twoEventsAndReport, string(s.FirstBody()), "kept decoded")
			}
			s.Reset()
			assert.Zero(t, s.Events()+s.Reported()+s.Requests()+s.Rejected()+s.WireBytes())
		})
	}
}

func TestServerReceivesRavenEvents(t *testing.T) {
	s := Start(time.Millisecond)
	defer s.Close()
	require.True(t, strings.HasPrefix(s.DSN(), "http://public@127.0.0.1:"))
	c, err := raven.New(raven.WithDSN(s.DSN()))
	require.NoError(t, err)
	for range 3 {
		c.CaptureMessage("hello")
	}
	require.NoError(t, c.Flush(context.Background()))
	first := s.FirstBody()
	require.NotNil(t, first)
	c.CaptureMessage("another")
	require.NoError(t, c.Close(context.Background()))
	assert.Equal(t, int64(4), s.Events())
	assert.Equal(t, first, s.FirstBody(), "the first body stays")
	assert.Zero(t, s.Rejected(), "%v", s.Err())
}

func FuzzCountEnvelope(f *testing.F) {
	f.Add([]byte(twoEventsAndReport))
	f.Add([]byte("{}\n{\"type\":\"event\",\"length\":2}\n{}"))
	f.Add([]byte("{}\n{\"type\":\"event\",\"length\":-1}\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, body []byte) {
		s := &Server{}
		if err := s.countEnvelope(body); err != nil {
			assert.Zero(t, s.Events(), "nothing is counted from a rejected envelope")
		}
		_ = s.countStore(body)
	})
}
