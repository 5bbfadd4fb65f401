package ravenhttp_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ravenkit/raven"
	ravenhttp "github.com/ravenkit/raven/integrations/http"
	"github.com/ravenkit/raven/internal/schematest"
	"github.com/ravenkit/raven/raventest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func setup(t *testing.T, h http.Handler, opts ...ravenhttp.Option) (*raventest.Server, *raven.Client, *httptest.Server) {
	t.Helper()
	srv := raventest.NewServer(t)
	c, err := raven.New(raven.WithDSN(srv.DSN()))
	require.NoError(t, err)
	web := httptest.NewServer(ravenhttp.Handler(h, append([]ravenhttp.Option{ravenhttp.WithClient(c)}, opts...)...))
	t.Cleanup(web.Close)
	return srv, c, web
}

func flushClose(t *testing.T, c *raven.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, c.Close(ctx))
}

func get(t *testing.T, url string, hdr map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func boom(w http.ResponseWriter, r *http.Request) { panic("boom in handler") }

func TestPanicBeforeWriteHeader(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /orders/{id}", boom)
	srv, c, web := setup(t, mux)
	status, _ := get(t, web.URL+"/orders/7?page=2&token=abc", map[string]string{"Authorization": "Bearer xyz", "X-Request-Id": "r1"})
	assert.Equal(t, 500, status)
	flushClose(t, c)
	evs := srv.Events()
	require.Len(t, evs, 1)
	ev := evs[0]
	exc := ev.Exception.Values[len(ev.Exception.Values)-1]
	assert.Equal(t, "boom in handler", exc.Value)
	assert.Equal(t, "panic", exc.Mechanism.Type)
	require.NotNil(t, exc.Mechanism.Handled)
	assert.False(t, *exc.Mechanism.Handled)
	frames := exc.Stacktrace.Frames
	assert.Equal(t, "boom", frames[len(frames)-1].Function)
	for _, f := range frames {
		assert.NotEqual(t, "github.com/ravenkit/raven/integrations/http", f.Module, "middleware frames are dropped")
	}
	assert.Equal(t, "GET /orders/{id}", ev.Transaction)
	require.NotNil(t, ev.Request)
	assert.Equal(t, "GET", ev.Request.Method)
	assert.True(t, strings.HasSuffix(ev.Request.URL, "/orders/7"))
	assert.Equal(t, "page=2&token=%5BFiltered%5D", ev.Request.QueryString)
	assert.Equal(t, raven.Filtered, ev.Request.Headers["Authorization"])
	assert.Equal(t, "r1", ev.Request.Headers["X-Request-Id"])
	for _, raw := range srv.RawEvents() {
		schematest.Check(t, raw)
	}
}

func TestPanicAfterWriteHeaderKeepsStatus(t *testing.T) {
	srv, c, web := setup(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, "partial")
		panic("late panic")
	}))
	status, body := get(t, web.URL+"/x", nil)
	assert.Equal(t, http.StatusAccepted, status, "nothing overwrites a written response")
	assert.Equal(t, "partial", body)
	flushClose(t, c)
	require.Len(t, srv.Events(), 1)
}

func TestErrAbortHandlerPassesThrough(t *testing.T) {
	srv, c, web := setup(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic(http.ErrAbortHandler)
	}))
	_, err := http.Get(web.URL + "/abort")
	assert.Error(t, err, "the server aborted the connection")
	flushClose(t, c)
	assert.Empty(t, srv.Events(), "ErrAbortHandler is not reported")
}

func TestRepanic(t *testing.T) {
	srv := raventest.NewServer(t)
	c, err := raven.New(raven.WithDSN(srv.DSN()))
	require.NoError(t, err)
	h := ravenhttp.Handler(http.HandlerFunc(boom), ravenhttp.WithClient(c), ravenhttp.WithRepanic())
	rec := httptest.NewRecorder()
	assert.PanicsWithValue(t, "boom in handler", func() {
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	})
	flushClose(t, c)
	assert.Len(t, srv.Events(), 1, "reported and flushed before panicking again")
}

func TestReport5xx(t *testing.T) {
	srv, c, web := setup(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/fail" {
			http.Error(w, "nope", http.StatusBadGateway)
			return
		}
		_, _ = io.WriteString(w, "ok")
	}), ravenhttp.WithReport5xx())
	get(t, web.URL+"/fail", nil)
	get(t, web.URL+"/ok", nil)
	flushClose(t, c)
	evs := srv.Events()
	require.Len(t, evs, 1)
	assert.Contains(t, evs[0].Message.Formatted, "/fail")
	assert.Contains(t, evs[0].Message.Formatted, "Bad Gateway")
}

func TestRequestBodyTruncatedNotDropped(t *testing.T) {
	var seen int
	srv, c, web := setup(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		seen = len(b)
		raven.CaptureExceptionContext(r.Context(), fmt.Errorf("bad order"))
	}), ravenhttp.WithRequestBody(10))
	resp, err := http.Post(web.URL+"/orders", "text/plain", strings.NewReader(strings.Repeat("a", 100)))
	require.NoError(t, err)
	resp.Body.Close()
	flushClose(t, c)
	assert.Equal(t, 100, seen, "the handler reads the whole body")
	require.Len(t, srv.Events(), 1)
	assert.Equal(t, strings.Repeat("a", 10)+"…[truncated]", srv.Events()[0].Request.Data)
}

func TestConcurrentRequestsNoCrossTalk(t *testing.T) {
	srv, c, web := setup(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Query().Get("id")
		scope := raven.ScopeFromContext(r.Context())
		scope.SetUser(&raven.User{ID: id})
		scope.SetTag("req", id)
		raven.AddBreadcrumb(r.Context(), raven.Breadcrumb{Message: "crumb " + id})
		time.Sleep(time.Millisecond)
		raven.CaptureExceptionContext(r.Context(), fmt.Errorf("failure %s", id))
	}))
	var wg sync.WaitGroup
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Get(fmt.Sprintf("%s/?id=%d", web.URL, i))
			if assert.NoError(t, err) {
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	flushClose(t, c)
	evs := srv.Events()
	require.Len(t, evs, 100)
	seen := map[string]bool{}
	for _, ev := range evs {
		id := ev.User.ID
		assert.Equal(t, id, ev.Tags["req"])
		assert.Equal(t, "failure "+id, ev.Exception.Values[len(ev.Exception.Values)-1].Value)
		require.Len(t, ev.Breadcrumbs.Values, 1, "only this request's breadcrumbs")
		assert.Equal(t, "crumb "+id, ev.Breadcrumbs.Values[0].Message)
		seen[id] = true
	}
	assert.Len(t, seen, 100)
	assert.Empty(t, c.Scope().Breadcrumbs(), "nothing leaked into the root scope")
}

func TestTraceHeaders(t *testing.T) {
	srv, c, web := setup(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raven.CaptureMessageContext(r.Context(), "traced")
	}))
	trace := strings.Repeat("a", 32)
	get(t, web.URL, map[string]string{"sentry-trace": trace + "-" + strings.Repeat("b", 16) + "-1"})
	get(t, web.URL, map[string]string{"traceparent": "00-" + strings.Repeat("c", 32) + "-" + strings.Repeat("d", 16) + "-01"})
	get(t, web.URL, map[string]string{"traceparent": "garbage"})
	flushClose(t, c)
	evs := srv.Events()
	require.Len(t, evs, 3)
	ids := map[any]bool{}
	for _, ev := range evs {
		ids[ev.Contexts["trace"]["trace_id"]] = true
	}
	assert.True(t, ids[trace])
	assert.True(t, ids[strings.Repeat("c", 32)])
	for _, raw := range srv.RawEvents() {
		schematest.Check(t, raw)
	}
}

func TestResponseControllerStillWorks(t *testing.T) {
	_, c, web := setup(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		_, _ = io.WriteString(w, "chunk")
		assert.NoError(t, rc.Flush())
		_, ok := w.(http.Hijacker)
		assert.True(t, ok)
	}))
	status, body := get(t, web.URL, nil)
	assert.Equal(t, 200, status)
	assert.Equal(t, "chunk", body)
	flushClose(t, c)
}

func BenchmarkMiddleware(b *testing.B) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	c, err := raven.New(raven.WithDSN("https://k@127.0.0.1:1/1"))
	require.NoError(b, err)
	defer func() { _ = c.Close(context.Background()) }()
	req := httptest.NewRequest(http.MethodGet, "/orders/7", nil)
	req.Header.Set("Accept", "application/json")
	w := httptest.NewRecorder()
	b.Run("bare", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ok.ServeHTTP(w, req)
		}
	})
	b.Run("ravenhttp", func(b *testing.B) {
		h := ravenhttp.Handler(ok, ravenhttp.WithClient(c))
		b.ReportAllocs()
		for b.Loop() {
			h.ServeHTTP(w, req)
		}
	})
}

func TestNoSecretInAnyDeliveredByte(t *testing.T) {
	// secrets made at run time, so that no source line (context lines are
	// sent) contains them
	secret := func(name string) string { return name + "-" + string(raven.NewEventID())[:12] }
	hdr, query, cookie, form, extra, crumb, apikey, xff := secret("hdr"), secret("query"), secret("cookie"),
		secret("form"), secret("extra"), secret("crumb"), secret("apikey"), secret("xff")
	secrets := []string{hdr, query, cookie, form, extra, crumb, apikey, xff}
	srv, c, web := setup(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		scope := raven.ScopeFromContext(r.Context())
		scope.SetExtra("user_password", extra)
		scope.AddBreadcrumb(raven.Breadcrumb{Category: "auth", Data: map[string]any{"session_token": crumb}})
		panic("fail with secrets around")
	}), ravenhttp.WithRequestBody(0), ravenhttp.WithSendDefaultPII())
	body := "user=ann&password=" + form
	req, err := http.NewRequest(http.MethodPost, web.URL+"/login?next=%2Fhome&access_token="+query, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+hdr)
	req.Header.Set("X-Api-Key", apikey)
	req.Header.Set("X-Forwarded-For", xff)
	req.Header.Set("Cookie", "theme=dark; sessionid="+cookie)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	flushClose(t, c)
	require.Len(t, srv.Events(), 1)
	bodies := srv.Bodies()
	require.NotEmpty(t, bodies)
	for _, b := range bodies {
		for _, s := range secrets {
			assert.NotContains(t, string(b), s)
		}
	}
	for _, raw := range srv.RawEvents() {
		schematest.Check(t, raw) // cookies, env and form data in their schema shapes
	}
	ev := srv.Events()[0]
	assert.Contains(t, ev.Request.Data, "user=ann", "harmless form fields stay")
	assert.Equal(t, "dark", ev.Request.Cookies["theme"], "harmless cookies stay")
	assert.Contains(t, ev.Request.QueryString, "next=%2Fhome")
}
