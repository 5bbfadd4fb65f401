package benchmarks

import (
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	ravengo "github.com/getsentry/raven-go"
	"github.com/getsentry/sentry-go"
	sentryhttp "github.com/getsentry/sentry-go/http"
)

// ravenMiddleware wraps h in raven's net/http middleware, reporting through
// a client whose in-memory transport counts into *events; flush drains the
// client's queue and park/unpark hold its sender as in callerLoop. Set by
// middleware_raven_test.go.
var ravenMiddleware func(b *testing.B, h http.Handler) (wrapped http.Handler, flush, park func(), events func() int64)

func okHandler(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }

func panicHandler(http.ResponseWriter, *http.Request) { panic("boom") }

func newRequest() *http.Request {
	r := httptest.NewRequest(http.MethodGet, "http://shop.example.com/orders/42?page=2", nil)
	r.Header.Set("User-Agent", "bench/1.0")
	r.Header.Set("Accept", "application/json")
	r.Header.Set("X-Request-Id", "5f0c1b")
	return r
}

// serve sends one request through h b.N times; drain and park are passed
// to callerLoop (nil when the handler reports nothing).
func serve(b *testing.B, h http.Handler, wantStatus int, drain, park func()) {
	req := newRequest()
	w := &nopWriter{h: http.Header{}}
	callerLoop(b, func() {
		w.status = 0
		clear(w.h)
		h.ServeHTTP(w, req)
	}, drain, park)
	if w.status != wantStatus {
		b.Fatalf("status %d, want %d", w.status, wantStatus)
	}
}

// BenchmarkMiddleware (scenario 4) is one request through each SDK's
// net/http middleware into a handler that succeeds; baseline is the bare
// handler.
func BenchmarkMiddleware(b *testing.B) { benchMiddleware(b, false) }

// BenchmarkMiddlewarePanic (scenario 4) is the same with a handler that
// panics: the middleware recovers, reports and answers 500. baseline is a
// bare deferred recover that writes 500.
func BenchmarkMiddlewarePanic(b *testing.B) { benchMiddleware(b, true) }

func benchMiddleware(b *testing.B, panics bool) {
	handler, status := http.HandlerFunc(okHandler), http.StatusOK
	if panics {
		handler, status = panicHandler, http.StatusInternalServerError
	}
	b.Run("baseline", func(b *testing.B) {
		h := http.Handler(handler)
		if panics {
			h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				defer func() {
					if recover() != nil {
						w.WriteHeader(http.StatusInternalServerError)
					}
				}()
				handler(w, r)
			})
		}
		serve(b, h, status, nil, nil)
	})
	b.Run("raven", func(b *testing.B) {
		if ravenMiddleware == nil {
			b.Skip("raven's net/http middleware is not built in")
		}
		h, flush, park, events := ravenMiddleware(b, handler)
		if !panics {
			flush, park = nil, nil
		}
		serve(b, h, status, flush, park)
		if panics {
			expect(b, "raven", events())
		}
	})
	b.Run("sentry-go", func(b *testing.B) {
		tr := initSentry(b)
		h := sentryhttp.New(sentryhttp.Options{}).Handle(handler)
		want := status
		if panics {
			want = 0 // sentryhttp answers nothing after a panic it does not re-raise
		}
		var drain func()
		if panics {
			drain = func() { sentry.Flush(0) }
		}
		serve(b, h, want, drain, nil)
		if panics {
			expect(b, "sentry-go", tr.events.Load())
		}
	})
	b.Run("raven-go", func(b *testing.B) {
		tr := &ravenGoMem{}
		c := ravengo.DefaultClient
		old := c.Transport
		c.Transport = tr
		if err := c.SetDSN(memDSN); err != nil {
			b.Fatal(err)
		}
		defer func() { c.Wait(); c.Transport = old }()
		if panics {
			// raven.Recoverer prints every panic's stack to os.Stderr.
			devnull, err := os.Open(os.DevNull)
			if err != nil {
				b.Fatal(err)
			}
			stderr := os.Stderr
			os.Stderr = devnull
			defer func() { os.Stderr = stderr; devnull.Close() }()
		}
		h := http.HandlerFunc(ravengo.RecoveryHandler(handler))
		if !panics {
			serve(b, h, status, nil, nil)
			return
		}
		serve(b, h, status, func() { tr.unpark(); c.Wait() }, func() {
			tr.park(func() { c.CaptureMessage("park", nil) })
		})
		if panics {
			expect(b, "raven-go", tr.events.Load()-tr.parks)
		}
	})
}
