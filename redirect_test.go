package raven_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/raventest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// syncBuffer is a log sink safe for the senders' concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// redirector answers every request with code, pointing at target, and
// counts what it got.
func redirector(t *testing.T, code int, target string) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		http.Redirect(w, r, target+r.URL.Path, code)
	}))
	t.Cleanup(s.Close)
	return s, &n
}

// TestHTTPTransportDoesNotFollowRedirects: a server redirecting the
// envelope endpoint gets each envelope once, nothing reaches the target,
// every event is a send_error, and the log names the Location.
func TestHTTPTransportDoesNotFollowRedirects(t *testing.T) {
	const events = 5
	for _, code := range []int{301, 302, 303, 307, 308} {
		for _, own := range []bool{false, true} {
			name := fmt.Sprintf("%d", code)
			if own {
				name += " with the user's http.Client"
			}
			t.Run(name, func(t *testing.T) {
				target := raventest.NewServer(t)
				redir, hits := redirector(t, code, target.URL())
				d, err := raven.ParseDSN(target.DSN())
				require.NoError(t, err)
				dsn := "http://" + d.PublicKey + "@" + strings.TrimPrefix(redir.URL, "http://") + "/" + raventest.ProjectID
				var logs syncBuffer
				opts := []raven.Option{raven.WithDSN(dsn), fastRetries(),
					raven.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn})))}
				var followed atomic.Int32
				if own {
					hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { followed.Add(1); return nil }}
					opts = append(opts, raven.WithHTTPTransportOptions(raven.WithHTTPClient(hc)))
				}
				c, err := raven.New(opts...)
				require.NoError(t, err)
				for i := 0; i < events; i++ {
					c.CaptureMessage("to a moved endpoint")
				}
				closeClient(t, c)

				st := c.Stats()
				assert.Zero(t, st.Delivered, "a redirect is not a delivery")
				assert.Equal(t, uint64(events), st.Dropped[raven.DropSendError])
				assert.Zero(t, target.Requests(), "the redirect is not followed")
				assert.Zero(t, followed.Load(), "the user's CheckRedirect is not consulted")
				// one request per event (not retried), then the client report at Close
				assert.Equal(t, int32(events+1), hits.Load())
				assert.Contains(t, logs.String(), "location="+target.URL()+"/api/"+raventest.ProjectID+"/envelope/")
				assert.Contains(t, logs.String(), fmt.Sprintf("status=%d", code))
			})
		}
	}
}

// TestSpotlightDoesNotFollowRedirects: the sidecar's client does not
// follow a redirect either.
func TestSpotlightDoesNotFollowRedirects(t *testing.T) {
	for _, code := range []int{301, 302, 303, 307, 308} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			var targetHits atomic.Int32
			target := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { targetHits.Add(1) }))
			t.Cleanup(target.Close)
			redir, hits := redirector(t, code, target.URL)
			var logs syncBuffer
			t.Setenv(raven.EnvDSN, "")
			c, err := raven.New(raven.WithSpotlight(redir.URL+"/stream"),
				raven.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))))
			require.NoError(t, err)
			c.CaptureMessage("to the sidecar")
			closeClient(t, c)
			assert.Equal(t, int32(1), hits.Load())
			assert.Zero(t, targetHits.Load())
			assert.Contains(t, logs.String(), "location="+target.URL+"/stream")
		})
	}
}
