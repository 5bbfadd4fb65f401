package ravenhttp_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/ravenkit/raven"
	ravenhttp "github.com/ravenkit/raven/integrations/http"
	"github.com/ravenkit/raven/raventest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every event captured with the request's scope carries the route
// template: errors the handler captures, goroutines started from the
// request's context, not only panics; a path no pattern matched gets no
// transaction rather than the raw path. BeforeSend's hint holds the
// *http.Request.
func TestTransactionOnEveryInRequestEvent(t *testing.T) {
	srv := raventest.NewServer(t)
	var mu sync.Mutex
	hinted := map[string]string{}
	c, err := raven.New(raven.WithDSN(srv.DSN()), raven.WithBeforeSend(func(ev *raven.Event, h *raven.EventHint) *raven.Event {
		if h.Request != nil {
			mu.Lock()
			hinted[string(ev.EventID)] = h.Request.URL.Path
			mu.Unlock()
		}
		return ev
	}))
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		raven.CaptureExceptionContext(r.Context(), fmt.Errorf("order %s: %w", r.PathValue("id"), errors.New("out of stock")))
		done := make(chan struct{})
		raven.Go(r.Context(), func(context.Context) {
			defer close(done)
			panic("in a goroutine of the request")
		})
		<-done
	})
	web := httptest.NewServer(ravenhttp.Handler(mux, ravenhttp.WithClient(c)))
	defer web.Close()
	raven.SetDefault(c)
	defer raven.SetDefault(nil)
	for _, id := range []string{"1", "2"} {
		status, _ := get(t, web.URL+"/orders/"+id, nil)
		require.Equal(t, http.StatusOK, status)
	}
	plain := httptest.NewServer(ravenhttp.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raven.CaptureExceptionContext(r.Context(), errors.New("no route"))
	}), ravenhttp.WithClient(c)))
	defer plain.Close()
	get(t, plain.URL+"/users/12345", nil)
	flushClose(t, c)

	evs := srv.Events()
	require.Len(t, evs, 5)
	routed := 0
	for _, ev := range evs {
		if ev.Request != nil && ev.Request.URL != "" && ev.Transaction != "" {
			assert.Equal(t, "GET /orders/{id}", ev.Transaction)
			routed++
			continue
		}
		assert.Empty(t, ev.Transaction, "no pattern: no transaction, never the raw path")
	}
	assert.Equal(t, 4, routed, "two errors and two goroutine panics")
	mu.Lock()
	defer mu.Unlock()
	assert.Len(t, hinted, 5, "every event's hint has the request")
}

// A handler that captures context.Canceled after its client hung up
// reports nothing by default (counted as event_processor), and reports it
// with WithReportClientGone(true).
func TestClientGoneIsNotAnError(t *testing.T) {
	for _, report := range []bool{false, true} {
		t.Run(fmt.Sprint("report=", report), func(t *testing.T) {
			srv := raventest.NewServer(t)
			c, err := raven.New(raven.WithDSN(srv.DSN()))
			require.NoError(t, err)
			captured := make(chan struct{})
			h := ravenhttp.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				defer close(captured)
				<-r.Context().Done() // the client hangs up
				raven.CaptureExceptionContext(r.Context(), fmt.Errorf("query: %w", r.Context().Err()))
				raven.CaptureExceptionContext(r.Context(), errors.New("a real failure"))
			}), ravenhttp.WithClient(c), ravenhttp.WithReportClientGone(report))
			web := httptest.NewServer(h)
			defer web.Close()
			conn, err := net.Dial("tcp", web.Listener.Addr().String())
			require.NoError(t, err)
			_, err = fmt.Fprintf(conn, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
			require.NoError(t, err)
			time.Sleep(50 * time.Millisecond)
			require.NoError(t, conn.Close())
			select {
			case <-captured:
			case <-time.After(10 * time.Second):
				t.Fatal("the handler never saw the client go")
			}
			flushClose(t, c)
			evs := srv.Events()
			if report {
				assert.Len(t, evs, 2)
				return
			}
			require.Len(t, evs, 1, "only the real failure")
			assert.Equal(t, "a real failure", evs[0].Exception.Values[0].Value)
			assert.Equal(t, uint64(1), c.Stats().Dropped[raven.DropEventProcessor])
		})
	}
}
