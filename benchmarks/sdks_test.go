package benchmarks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	ravengo "github.com/getsentry/raven-go"
	"github.com/getsentry/sentry-go"
	"github.com/ravenkit/raven"
)

// The same error for every SDK: a two-level %w chain with no stack of its
// own, so each SDK records the capture site.
var errChain = fmt.Errorf("handle order 42: %w", fmt.Errorf("load customer: %w", errors.New("connection refused")))

const (
	// memDSN enables a client whose transport is replaced; it is never dialled.
	memDSN = "http://public@127.0.0.1:9/1"
	// flushEvery bounds how many events wait in an SDK's queue during a
	// benchmark. It is below the smallest queue compared (raven-go: 100),
	// so no benchmark measures the cheap path of dropping an event.
	flushEvery = 64
	// breadcrumbs on the scope of every capture (raven-go has none).
	breadcrumbs = 20
)

// cpuMeter measures the CPU time of the whole process (every goroutine,
// the collector included) spent per operation; it shows the work an SDK
// moves off the caller's goroutine, which ns/op does not.
type cpuMeter time.Duration

func startCPU() cpuMeter { return cpuMeter(processCPU()) }

func (m cpuMeter) report(b *testing.B) {
	if used := processCPU() - time.Duration(m); used > 0 && b.N > 0 {
		b.ReportMetric(float64(used)/float64(b.N), "cpu-ns/op")
	}
}

// parker lets a caller-side benchmark keep an SDK's background goroutine
// off the CPU while the timer runs: park captures one extra event and
// returns once the goroutine delivering it is blocked in the transport, so
// the timed captures only queue; unpark lets it go. B/op and allocs/op
// count every goroutine's allocations, so without this they would include
// whatever the sender did meanwhile.
type parker struct {
	mu      sync.Mutex
	hold    chan struct{}
	entered chan struct{}
	parks   int64 // events captured by park
}

func (p *parker) wait() {
	p.mu.Lock()
	h, e := p.hold, p.entered
	p.mu.Unlock()
	if h != nil {
		e <- struct{}{}
		<-h
	}
}

func (p *parker) park(capture func()) {
	p.mu.Lock()
	if p.entered == nil {
		p.entered = make(chan struct{}, 1)
	}
	p.hold = make(chan struct{})
	p.mu.Unlock()
	p.parks++
	capture()
	<-p.entered
}

func (p *parker) unpark() {
	p.mu.Lock()
	h := p.hold
	p.hold = nil
	p.mu.Unlock()
	if h != nil {
		close(h)
	}
}

// callerLoop runs capture b.N times. Every flushEvery captures it stops
// the timer, calls drain (which empties the SDK's queue) and park (nil when
// the SDK has no background goroutine to hold). With both nil the timer
// never stops.
func callerLoop(b *testing.B, capture, drain, park func()) {
	if drain == nil && park == nil { // nothing is queued: no need to stop the timer
		b.ReportAllocs()
		cpu := startCPU()
		for b.Loop() {
			capture()
		}
		cpu.report(b)
		return
	}
	if drain == nil {
		drain = func() {}
	}
	if park == nil {
		park = func() {}
	}
	b.ReportAllocs()
	cpu := startCPU()
	park()
	i := 0
	for b.Loop() {
		capture()
		if i++; i%flushEvery == 0 {
			b.StopTimer()
			drain()
			park()
			b.StartTimer()
		}
	}
	b.StopTimer()
	drain()
	cpu.report(b)
}

// ---- raven ----

// ravenMem is an in-memory raven.Transport; with encode set it also frames
// each envelope into bytes, the work its HTTP transport does before I/O.
type ravenMem struct {
	parker
	encode bool
	mu     sync.Mutex
	buf    []byte
	events atomic.Int64
	bytes  atomic.Int64
}

func (t *ravenMem) Send(_ context.Context, envs []*raven.Envelope) error {
	t.wait()
	for _, env := range envs {
		if t.encode {
			t.mu.Lock()
			buf, err := env.AppendTo(t.buf[:0])
			t.buf = buf
			t.mu.Unlock()
			t.bytes.Add(int64(len(buf)))
			if err != nil {
				return err
			}
		}
		t.events.Add(int64(env.EventCount()))
	}
	return nil
}
func (t *ravenMem) Flush(context.Context) error { return nil }
func (t *ravenMem) Close(context.Context) error { return nil }

// newRaven returns a client with a scope holding one tag and 20
// breadcrumbs, closed when the benchmark ends.
func newRaven(b *testing.B, opts ...raven.Option) (*raven.Client, context.Context) {
	b.Helper()
	c, err := raven.New(append([]raven.Option{raven.WithRelease("bench")}, opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.Close(context.Background()) })
	ctx := raven.WithScope(raven.ContextWithScope(context.Background(), c.Scope()))
	s := raven.ScopeFromContext(ctx)
	s.SetTag("tag", "v")
	for i := range breadcrumbs {
		s.AddBreadcrumb(raven.Breadcrumb{Category: "test", Message: fmt.Sprintf("step %d", i)})
	}
	return c, ctx
}

func flushRaven(b *testing.B, c *raven.Client) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.Flush(ctx); err != nil {
		b.Fatal(err)
	}
}

// ---- sentry-go ----

// sentryMem is an in-memory sentry.Transport; with encode set it also
// marshals each event, the work its HTTP transport does before I/O.
type sentryMem struct {
	encode bool
	events atomic.Int64
	bytes  atomic.Int64
}

func (t *sentryMem) Configure(sentry.ClientOptions)        {}
func (t *sentryMem) Flush(time.Duration) bool              { return true }
func (t *sentryMem) FlushWithContext(context.Context) bool { return true }
func (t *sentryMem) Close()                                {}
func (t *sentryMem) SendEvent(e *sentry.Event) {
	if t.encode {
		b, err := json.Marshal(e)
		if err != nil {
			panic(err)
		}
		t.bytes.Add(int64(len(b)))
	}
	t.events.Add(1)
}

// newSentry returns a client and a hub whose scope holds one tag and 20
// breadcrumbs, closed when the benchmark ends.
func newSentry(b *testing.B, opts sentry.ClientOptions) (*sentry.Client, *sentry.Hub) {
	b.Helper()
	opts.Release = "bench"
	c, err := sentry.NewClient(opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.Close)
	hub := sentry.NewHub(c, sentry.NewScope())
	hub.Scope().SetTag("tag", "v")
	for i := range breadcrumbs {
		hub.AddBreadcrumb(&sentry.Breadcrumb{Category: "test", Message: fmt.Sprintf("step %d", i)}, nil)
	}
	return c, hub
}

func flushSentry(b *testing.B, c *sentry.Client) {
	if !c.Flush(time.Minute) {
		b.Fatal("sentry-go: flush timed out")
	}
}

// ---- raven-go ----

// ravenGoMem is an in-memory raven-go Transport; with encode set it also
// marshals each packet, the work its HTTP transport does before I/O.
type ravenGoMem struct {
	parker
	encode bool
	events atomic.Int64
	bytes  atomic.Int64
}

func (t *ravenGoMem) Send(_, _ string, p *ravengo.Packet) error {
	t.wait()
	if t.encode {
		b, err := p.JSON()
		if err != nil {
			return err
		}
		t.bytes.Add(int64(len(b)))
	}
	t.events.Add(1)
	return nil
}

// newRavenGo returns a client with one tag in its context (raven-go has no
// breadcrumbs); tr replaces its HTTP transport unless nil. Dropped packets
// are counted in *drops.
func newRavenGo(b *testing.B, dsn string, tr ravengo.Transport) (*ravengo.Client, *atomic.Int64) {
	b.Helper()
	c, err := ravengo.New(dsn)
	if err != nil {
		b.Fatal(err)
	}
	if tr != nil {
		c.Transport = tr
	}
	c.SetRelease("bench")
	c.SetTagsContext(map[string]string{"tag": "v"})
	drops := new(atomic.Int64)
	c.DropHandler = func(*ravengo.Packet) { drops.Add(1) }
	b.Cleanup(func() {
		c.Wait()
		c.Close()
		if ht, ok := c.Transport.(*ravengo.HTTPTransport); ok && ht.Client != nil {
			ht.Client.CloseIdleConnections()
		}
	})
	return c, drops
}

// reportSize reports the mean encoded size of an event.
func reportSize(b *testing.B, bytes, events int64) {
	if events > 0 {
		b.ReportMetric(float64(bytes)/float64(events), "bytes/event")
	}
}

// expect fails the benchmark when an SDK did not hand over every event:
// a benchmark that measured drops would flatter the SDK.
func expect(b *testing.B, sdk string, got int64) {
	b.Helper()
	if got != int64(b.N) {
		b.Errorf("%s: %d of %d events reached the transport", sdk, got, b.N)
	}
}

// settledGoroutines waits until the goroutine count stops changing (the
// SDKs of earlier benchmarks wind down asynchronously) and returns it.
func settledGoroutines() int {
	n := runtime.NumGoroutine()
	for range 50 {
		time.Sleep(10 * time.Millisecond)
		m := runtime.NumGoroutine()
		if m == n {
			return n
		}
		n = m
	}
	return n
}

// nopWriter is a reusable http.ResponseWriter, so middleware benchmarks
// measure the middleware and not a recorder.
type nopWriter struct {
	h      http.Header
	status int
}

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *nopWriter) WriteHeader(code int)        { w.status = code }
