package ravenfasthttp_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ravenkit/raven"
	ravenfasthttp "github.com/ravenkit/raven/integrations/fasthttp"
	"github.com/ravenkit/raven/integrations/internal/inttest"
	"github.com/ravenkit/raven/raventest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/valyala/fasthttp"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// fasthttp refreshes its Date header from a goroutine that never ends
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1"))
}

// serve runs h behind the middleware on a real listener on 127.0.0.1.
func serve(t *testing.T, h fasthttp.RequestHandler, opts ...ravenfasthttp.Option) (*raventest.Server, *raven.Client, string, *http.Client) {
	t.Helper()
	srv, c := inttest.NewClient(t)
	s := &fasthttp.Server{
		Handler: ravenfasthttp.New(append([]ravenfasthttp.Option{ravenfasthttp.WithClient(c)}, opts...)...)(h),
		// the worker pool's cleaner sleeps this long before it sees the stop
		MaxIdleWorkerDuration: 10 * time.Millisecond,
	}
	url, hc := inttest.Listen(t, s.Serve, s.Shutdown)
	return srv, c, url, hc
}

func do(t *testing.T, hc *http.Client, method, url, body string, hdr map[string]string) (int, string) {
	t.Helper()
	return inttest.Do(t, hc, method, url, strings.NewReader(body), hdr)
}

func boom(ctx *fasthttp.RequestCtx) { panic("boom in handler") }

func TestPanicAnswered500(t *testing.T) {
	srv, c, url, hc := serve(t, func(ctx *fasthttp.RequestCtx) {
		ctx.SetStatusCode(fasthttp.StatusAccepted)
		ctx.SetBodyString("partial")
		boom(ctx)
	}, ravenfasthttp.WithTransactionName(func(*fasthttp.RequestCtx) string { return "/orders/:id" }))
	status, body := do(t, hc, http.MethodGet, url+"/orders/7?page=2&token=abc", "",
		map[string]string{"Authorization": "Bearer xyz", "X-Request-Id": "r1", "Cookie": "sessionid=s3cr3t"})
	assert.Equal(t, http.StatusInternalServerError, status, "fasthttp buffers the response: the 500 replaces it")
	assert.Equal(t, "Internal Server Error\n", body)
	inttest.Close(t, c)
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
	assert.Equal(t, "GET /orders/:id", ev.Transaction)
	require.NotNil(t, ev.Request)
	assert.Equal(t, "GET", ev.Request.Method)
	assert.Equal(t, url+"/orders/7", ev.Request.URL)
	assert.Equal(t, "page=2&token=%5BFiltered%5D", ev.Request.QueryString)
	assert.Equal(t, raven.Filtered, ev.Request.Headers["Authorization"])
	assert.Equal(t, "r1", ev.Request.Headers["X-Request-Id"])
	assert.NotContains(t, ev.Request.Headers, "Cookie", "cookies only WithSendDefaultPII")
	assert.Empty(t, ev.Request.Cookies)
	assert.Empty(t, ev.Request.Env)
	assert.Nil(t, ev.Request.Data, "no body unless asked")
	inttest.CheckSchema(t, srv)
}

func TestNoTransactionByDefault(t *testing.T) {
	srv, c, url, hc := serve(t, func(ctx *fasthttp.RequestCtx) {
		raven.CaptureMessageContext(ravenfasthttp.Context(ctx), "hello")
	})
	do(t, hc, http.MethodGet, url+"/orders/7", "", nil)
	inttest.Close(t, c)
	require.Len(t, srv.Events(), 1)
	assert.Empty(t, srv.Events()[0].Transaction, "raw paths never name transactions")
	inttest.CheckSchema(t, srv)
}

func TestRequestCtxIsTheScopeContext(t *testing.T) {
	srv, c, url, hc := serve(t, func(ctx *fasthttp.RequestCtx) {
		ravenfasthttp.Scope(ctx).SetTag("via", "scope")
		assert.Same(t, ravenfasthttp.Scope(ctx), raven.ScopeFromContext(ctx))
		assert.Same(t, ravenfasthttp.Scope(ctx), raven.ScopeFromContext(ravenfasthttp.Context(ctx)))
		assert.Same(t, ravenfasthttp.Scope(ctx), ctx.UserValue(ravenfasthttp.ScopeKey))
		raven.CaptureExceptionContext(ctx, errors.New("through the RequestCtx"))
	})
	do(t, hc, http.MethodGet, url+"/x", "", nil)
	inttest.Close(t, c)
	require.Len(t, srv.Events(), 1)
	ev := srv.Events()[0]
	assert.Equal(t, "scope", ev.Tags["via"])
	require.NotNil(t, ev.Request)
	assert.Equal(t, url+"/x", ev.Request.URL)
	assert.Empty(t, c.Scope().Tags(), "nothing reached the root scope")
}

func TestWithoutMiddleware(t *testing.T) {
	var ctx fasthttp.RequestCtx
	assert.Same(t, raven.CurrentClient().Scope(), ravenfasthttp.Scope(&ctx))
	assert.Equal(t, context.Background(), ravenfasthttp.Context(&ctx))
}

func TestRepanic(t *testing.T) {
	srv := raventest.NewServer(t)
	c, err := raven.New(raven.WithDSN(srv.DSN()))
	require.NoError(t, err)
	h := ravenfasthttp.New(ravenfasthttp.WithClient(c), ravenfasthttp.WithRepanic())(boom)
	var ctx fasthttp.RequestCtx
	ctx.Request.SetRequestURI("/")
	assert.PanicsWithValue(t, "boom in handler", func() { h(&ctx) })
	inttest.Close(t, c)
	assert.Len(t, srv.Events(), 1, "reported and flushed before panicking again")
}

func TestReport5xx(t *testing.T) {
	srv, c, url, hc := serve(t, func(ctx *fasthttp.RequestCtx) {
		if string(ctx.Path()) == "/fail" {
			ctx.Error("nope", fasthttp.StatusBadGateway)
			return
		}
		ctx.SetBodyString("ok")
	}, ravenfasthttp.WithReport5xx())
	do(t, hc, http.MethodGet, url+"/fail", "", nil)
	do(t, hc, http.MethodGet, url+"/ok", "", nil)
	inttest.Close(t, c)
	evs := srv.Events()
	require.Len(t, evs, 1)
	assert.Equal(t, "GET /fail answered Bad Gateway", evs[0].Message.Formatted)
	inttest.CheckSchema(t, srv)
}

func TestRequestBodyOnlyWhenAsked(t *testing.T) {
	handler := func(ctx *fasthttp.RequestCtx) {
		raven.CaptureExceptionContext(ctx, fmt.Errorf("bad order"))
	}
	body := strings.Repeat("a", 100)
	t.Run("truncated", func(t *testing.T) {
		srv, c, url, hc := serve(t, handler, ravenfasthttp.WithRequestBody(10))
		do(t, hc, http.MethodPost, url+"/orders", body, map[string]string{"Content-Type": "text/plain"})
		inttest.Close(t, c)
		require.Len(t, srv.Events(), 1)
		assert.Equal(t, strings.Repeat("a", 10)+"…[truncated]", srv.Events()[0].Request.Data)
		inttest.CheckSchema(t, srv)
	})
	t.Run("default bound", func(t *testing.T) {
		srv, c, url, hc := serve(t, handler, ravenfasthttp.WithRequestBody(0))
		do(t, hc, http.MethodPost, url+"/orders", body, map[string]string{"Content-Type": "text/plain"})
		inttest.Close(t, c)
		require.Len(t, srv.Events(), 1)
		assert.Equal(t, body, srv.Events()[0].Request.Data)
	})
	t.Run("off", func(t *testing.T) {
		srv, c, url, hc := serve(t, handler)
		do(t, hc, http.MethodPost, url+"/orders", body, map[string]string{"Content-Type": "text/plain"})
		inttest.Close(t, c)
		require.Len(t, srv.Events(), 1)
		assert.Nil(t, srv.Events()[0].Request.Data)
	})
}

func TestSendDefaultPII(t *testing.T) {
	srv, c, url, hc := serve(t, func(ctx *fasthttp.RequestCtx) {
		raven.CaptureMessageContext(ctx, "pii")
	}, ravenfasthttp.WithSendDefaultPII())
	do(t, hc, http.MethodGet, url+"/", "", map[string]string{"Cookie": "theme=dark; sessionid=s3cr3t"})
	inttest.Close(t, c)
	require.Len(t, srv.Events(), 1)
	req := srv.Events()[0].Request
	assert.Equal(t, "dark", req.Cookies["theme"])
	assert.NotEqual(t, "s3cr3t", req.Cookies["sessionid"], "scrubbed")
	assert.Equal(t, "127.0.0.1", req.Env["REMOTE_ADDR"])
	inttest.CheckSchema(t, srv)
}

// A goroutine that outlives the handler keeps the scope but must not read
// the RequestCtx fasthttp reuses: run with -race.
func TestCaptureAfterHandlerReturned(t *testing.T) {
	var wg sync.WaitGroup
	release := make(chan struct{})
	srv, c, url, hc := serve(t, func(ctx *fasthttp.RequestCtx) {
		if !strings.HasPrefix(string(ctx.Path()), "/r") {
			return
		}
		rctx := ravenfasthttp.Context(ctx)
		ravenfasthttp.Scope(ctx).SetTag("path", string(ctx.Path()))
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-release
			raven.CaptureMessageContext(rctx, "late")
		}()
	})
	for i := 0; i < 20; i++ {
		do(t, hc, http.MethodGet, fmt.Sprintf("%s/r%d", url, i), "", nil)
	}
	// the RequestCtxs are being reused by the next requests meanwhile
	var hammer sync.WaitGroup
	for i := 0; i < 4; i++ {
		hammer.Add(1)
		go func() {
			defer hammer.Done()
			for j := 0; j < 20; j++ {
				do(t, hc, http.MethodGet, url+"/other", "", nil)
			}
		}()
	}
	close(release)
	wg.Wait()
	hammer.Wait()
	inttest.Close(t, c)
	evs := srv.Events()
	require.Len(t, evs, 20)
	for _, ev := range evs {
		assert.Nil(t, ev.Request, "no request data after the handler returned")
		assert.True(t, strings.HasPrefix(ev.Tags["path"], "/r"), "the scope is kept")
	}
	inttest.CheckSchema(t, srv)
}

func TestConcurrentRequestsNoCrossTalk(t *testing.T) {
	srv, c, url, hc := serve(t, func(ctx *fasthttp.RequestCtx) {
		id := string(ctx.QueryArgs().Peek("id"))
		inttest.Mark(ctx, ravenfasthttp.Scope(ctx), "req", id)
		raven.CaptureExceptionContext(ctx, inttest.Failure(id))
	})
	inttest.Concurrently(100, func(i int) {
		inttest.Get(t, hc, fmt.Sprintf("%s/?id=%d", url, i))
	})
	inttest.Close(t, c)
	evs := srv.Events()
	inttest.CheckIsolated(t, c, evs, 100, "req", func(ev *raven.Event, id string) {
		assert.Equal(t, "id="+id, ev.Request.QueryString)
	})
	inttest.CheckSchema(t, srv)
}

func TestTraceHeaders(t *testing.T) {
	srv, c, url, hc := serve(t, func(ctx *fasthttp.RequestCtx) {
		raven.CaptureMessageContext(ctx, "traced")
	})
	for _, hdr := range inttest.TraceHeaders {
		do(t, hc, http.MethodGet, url, "", hdr)
	}
	do(t, hc, http.MethodGet, url, "", map[string]string{"traceparent": "garbage"})
	inttest.Close(t, c)
	evs := srv.Events()
	require.Len(t, evs, 3)
	inttest.CheckTraces(t, evs)
	inttest.CheckSchema(t, srv)
}

func TestNoEventNoRequestBuilt(t *testing.T) {
	// a request that captures nothing never calls the source: the body is
	// not even looked at, whatever its size
	srv, c, url, hc := serve(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") },
		ravenfasthttp.WithRequestBody(1<<20))
	status, body := do(t, hc, http.MethodPost, url+"/upload", strings.Repeat("x", 1<<16), nil)
	assert.Equal(t, 200, status)
	assert.Equal(t, "ok", body)
	inttest.Close(t, c)
	assert.Empty(t, srv.Events())
}

func BenchmarkMiddleware(b *testing.B) {
	ok := func(ctx *fasthttp.RequestCtx) { ctx.SetStatusCode(fasthttp.StatusNoContent) }
	c, err := raven.New(raven.WithDSN("https://k@127.0.0.1:1/1"))
	require.NoError(b, err)
	defer func() { _ = c.Close(context.Background()) }()
	var ctx fasthttp.RequestCtx
	ctx.Request.SetRequestURI("/orders/7")
	ctx.Request.Header.Set("Accept", "application/json")
	b.Run("bare", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ok(&ctx)
		}
	})
	b.Run("ravenfasthttp", func(b *testing.B) {
		h := ravenfasthttp.New(ravenfasthttp.WithClient(c))(ok)
		b.ReportAllocs()
		for b.Loop() {
			h(&ctx)
			ctx.ResetUserValues()
		}
	})
}
