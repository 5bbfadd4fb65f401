package benchmarks

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"sync"
	"testing"
	"time"

	ravengo "github.com/getsentry/raven-go"
	"github.com/getsentry/sentry-go"
	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/benchmarks/internal/sink"
)

// BenchmarkCaptureException (scenario 1) is the cost on the caller's
// goroutine of reporting a two-level error chain with 20 breadcrumbs and a
// tag on the scope, with an in-memory transport. Background goroutines
// (raven's sender, raven-go's worker) are held in their transport while the
// timer runs, and queues are drained every flushEvery captures with the
// timer stopped; sentry-go does all its work on the caller's goroutine.
// cpu-ns/op adds up the CPU of every goroutine, timed or not.
func BenchmarkCaptureException(b *testing.B) {
	b.Run("raven", func(b *testing.B) {
		tr := &ravenMem{}
		c, ctx := newRaven(b, raven.WithDSN(memDSN), raven.WithTransport(tr), raven.WithSenders(1))
		callerLoop(b, func() { c.CaptureExceptionContext(ctx, errChain) },
			func() { tr.unpark(); flushRaven(b, c) },
			func() { tr.park(func() { c.CaptureMessageContext(ctx, "park") }) })
		expect(b, "raven", tr.events.Load()-tr.parks)
	})
	b.Run("sentry-go", func(b *testing.B) {
		tr := &sentryMem{}
		c, hub := newSentry(b, sentry.ClientOptions{Dsn: memDSN, Transport: tr})
		callerLoop(b, func() { hub.CaptureException(errChain) }, func() { flushSentry(b, c) }, nil)
		expect(b, "sentry-go", tr.events.Load())
	})
	b.Run("raven-go", func(b *testing.B) {
		tr := &ravenGoMem{}
		c, _ := newRavenGo(b, memDSN, tr)
		callerLoop(b, func() { c.CaptureError(errChain, nil) },
			func() { tr.unpark(); c.Wait() },
			func() { tr.park(func() { c.CaptureMessage("park", nil) }) })
		expect(b, "raven-go", tr.events.Load()-tr.parks)
	})
}

// BenchmarkCaptureExceptionEndToEnd is scenario 1 with the wait for
// delivery inside the timed region (a flush every flushEvery captures), and
// each in-memory transport producing the bytes its HTTP transport would
// send. ns/op is the wall time until the event is ready for the network;
// cpu-ns/op is the total CPU it took on every goroutine.
func BenchmarkCaptureExceptionEndToEnd(b *testing.B) {
	b.Run("raven", func(b *testing.B) {
		tr := &ravenMem{encode: true}
		c, ctx := newRaven(b, raven.WithDSN(memDSN), raven.WithTransport(tr))
		b.ReportAllocs()
		cpu := startCPU()
		i := 0
		for b.Loop() {
			c.CaptureExceptionContext(ctx, errChain)
			if i++; i%flushEvery == 0 {
				flushRaven(b, c)
			}
		}
		flushRaven(b, c)
		cpu.report(b)
		expect(b, "raven", tr.events.Load())
		reportSize(b, tr.bytes.Load(), tr.events.Load())
	})
	b.Run("sentry-go", func(b *testing.B) {
		tr := &sentryMem{encode: true}
		c, hub := newSentry(b, sentry.ClientOptions{Dsn: memDSN, Transport: tr})
		b.ReportAllocs()
		cpu := startCPU()
		i := 0
		for b.Loop() {
			hub.CaptureException(errChain)
			if i++; i%flushEvery == 0 {
				flushSentry(b, c)
			}
		}
		flushSentry(b, c)
		cpu.report(b)
		expect(b, "sentry-go", tr.events.Load())
		reportSize(b, tr.bytes.Load(), tr.events.Load())
	})
	b.Run("raven-go", func(b *testing.B) {
		tr := &ravenGoMem{encode: true}
		c, _ := newRavenGo(b, memDSN, tr)
		b.ReportAllocs()
		cpu := startCPU()
		i := 0
		for b.Loop() {
			c.CaptureError(errChain, nil)
			if i++; i%flushEvery == 0 {
				c.Wait()
			}
		}
		c.Wait()
		cpu.report(b)
		expect(b, "raven-go", tr.events.Load())
		reportSize(b, tr.bytes.Load(), tr.events.Load())
	})
}

// httpBatch is how many events are captured between two flushes in the
// HTTP scenarios: below every SDK's queue (sentry-go's error buffer holds
// 100), so none drops and delivered events/s is sustained throughput.
const httpBatch = 50

// rttLatency is how long the server of BenchmarkDeliverHTTPLatency waits
// before answering: a round trip to a collector in the same region.
const rttLatency = time.Millisecond

// BenchmarkCaptureHTTP (scenario 2, caller side) is scenario 1 with each
// SDK's default HTTP transport posting to a loopback server: the caller's
// cost while the network path is live. Flushes run with the timer stopped.
func BenchmarkCaptureHTTP(b *testing.B) { benchHTTP(b, false, 0) }

// BenchmarkDeliverHTTP (scenario 2, end to end) times captures and the
// flushes that deliver them, httpBatch at a time; events/s is what the
// server received per second of that time. The nethttp-xN rows post one
// pre-encoded envelope with N goroutines and a bare http.Client, no SDK at
// all: what this machine's HTTP stack alone can carry.
func BenchmarkDeliverHTTP(b *testing.B) { benchHTTP(b, true, 0) }

// BenchmarkDeliverHTTPLatency (scenario 2c) is BenchmarkDeliverHTTP
// against a server that answers after rttLatency.
func BenchmarkDeliverHTTPLatency(b *testing.B) { benchHTTP(b, true, rttLatency) }

func benchHTTP(b *testing.B, timedFlush bool, latency time.Duration) {
	pause := func(b *testing.B) {
		if !timedFlush {
			b.StopTimer()
		}
	}
	resume := func(b *testing.B) {
		if !timedFlush {
			b.StartTimer()
		}
	}
	report := func(b *testing.B, srv *sink.Server, cpu cpuMeter) {
		cpu.report(b)
		if timedFlush && b.Elapsed() > 0 {
			b.ReportMetric(float64(srv.Events())/b.Elapsed().Seconds(), "events/s")
			if n := srv.Events(); n > 0 {
				b.ReportMetric(float64(srv.WireBytes())/float64(n), "wire-bytes/event")
			}
		}
		if srv.Rejected() > 0 {
			b.Errorf("server rejected %d requests: %v", srv.Rejected(), srv.Err())
		}
		expect(b, "server", srv.Events())
	}
	b.Run("raven", func(b *testing.B) {
		srv := sink.Start(latency)
		defer srv.Close()
		c, ctx := newRaven(b, raven.WithDSN(srv.DSN()))
		b.ReportAllocs()
		cpu := startCPU()
		i := 0
		for b.Loop() {
			c.CaptureExceptionContext(ctx, errChain)
			if i++; i%httpBatch == 0 {
				pause(b)
				flushRaven(b, c)
				resume(b)
			}
		}
		flushRaven(b, c)
		report(b, srv, cpu)
		_ = c.Close(context.Background())
	})
	b.Run("raven-outbox", func(b *testing.B) {
		// raven with WithOutbox: every event is written to a file before
		// it is sent (several to a file when they wait together), and the
		// file is removed once they are delivered.
		srv := sink.Start(latency)
		defer srv.Close()
		c, ctx := newRaven(b, raven.WithDSN(srv.DSN()), raven.WithOutbox(b.TempDir()))
		b.ReportAllocs()
		cpu := startCPU()
		i := 0
		for b.Loop() {
			c.CaptureExceptionContext(ctx, errChain)
			if i++; i%httpBatch == 0 {
				pause(b)
				flushRaven(b, c)
				resume(b)
			}
		}
		flushRaven(b, c)
		report(b, srv, cpu)
		_ = c.Close(context.Background())
	})
	var body []byte // the first envelope raven-nogzip sent
	b.Run("raven-nogzip", func(b *testing.B) {
		// raven's default transport with compression off: the server, in
		// this process, then has no gzip to undo either.
		srv := sink.Start(latency)
		defer srv.Close()
		dsn, err := raven.ParseDSN(srv.DSN())
		if err != nil {
			b.Fatal(err)
		}
		tr, err := raven.NewHTTPTransport(dsn, raven.WithGzip(false))
		if err != nil {
			b.Fatal(err)
		}
		c, ctx := newRaven(b, raven.WithDSN(srv.DSN()), raven.WithTransport(tr))
		b.ReportAllocs()
		cpu := startCPU()
		i := 0
		for b.Loop() {
			c.CaptureExceptionContext(ctx, errChain)
			if i++; i%httpBatch == 0 {
				pause(b)
				flushRaven(b, c)
				resume(b)
			}
		}
		flushRaven(b, c)
		report(b, srv, cpu)
		body = srv.FirstBody()
		_ = c.Close(context.Background())
	})
	b.Run("sentry-go", func(b *testing.B) {
		srv := sink.Start(latency)
		defer srv.Close()
		c, hub := newSentry(b, sentry.ClientOptions{Dsn: srv.DSN()})
		b.ReportAllocs()
		cpu := startCPU()
		i := 0
		for b.Loop() {
			hub.CaptureException(errChain)
			if i++; i%httpBatch == 0 {
				pause(b)
				flushSentry(b, c)
				resume(b)
			}
		}
		flushSentry(b, c)
		report(b, srv, cpu)
		c.Close()
	})
	b.Run("raven-go", func(b *testing.B) {
		srv := sink.Start(latency)
		defer srv.Close()
		c, drops := newRavenGo(b, srv.DSN(), nil)
		b.ReportAllocs()
		cpu := startCPU()
		i := 0
		for b.Loop() {
			c.CaptureError(errChain, nil)
			if i++; i%httpBatch == 0 {
				pause(b)
				c.Wait()
				resume(b)
			}
		}
		c.Wait()
		if n := drops.Load(); n > 0 {
			b.Logf("raven-go dropped %d packets", n)
		}
		report(b, srv, cpu)
	})
	if !timedFlush {
		return
	}
	if body == nil { // raven-nogzip was filtered out
		body = ravenEnvelope(b)
	}
	for _, workers := range []int{1, 4, 16} {
		b.Run(fmt.Sprintf("nethttp-x%d", workers), func(b *testing.B) {
			srv := sink.Start(latency)
			defer srv.Close()
			p := newPoster(srv.EnvelopeURL(), body, workers)
			defer p.close()
			b.ReportAllocs()
			cpu := startCPU()
			i := 0
			for b.Loop() {
				p.post()
				if i++; i%httpBatch == 0 {
					p.wait(b)
				}
			}
			p.wait(b)
			report(b, srv, cpu)
		})
	}
}

// ravenEnvelope returns the uncompressed envelope raven sends for the
// benchmarks' event, captured here (its stack, so its size, differs a
// little from the one captured in a sub-benchmark).
func ravenEnvelope(b *testing.B) []byte {
	tr := &ravenMem{encode: true}
	c, ctx := newRaven(b, raven.WithDSN(memDSN), raven.WithTransport(tr))
	c.CaptureExceptionContext(ctx, errChain)
	flushRaven(b, c)
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if len(tr.buf) == 0 {
		b.Fatal("no envelope encoded")
	}
	return bytes.Clone(tr.buf)
}

// poster posts the same body with a fixed number of goroutines and a plain
// http.Client: a queue and senders with no SDK work in them.
type poster struct {
	queue chan struct{}
	wg    sync.WaitGroup // posts not yet answered
	done  sync.WaitGroup // workers
	mu    sync.Mutex
	err   error
}

func newPoster(url string, body []byte, workers int) *poster {
	p := &poster{queue: make(chan struct{}, 1024)}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	for range workers {
		p.done.Go(func() {
			for range p.queue {
				p.fail(postOnce(client, url, body))
				p.wg.Done()
			}
		})
	}
	return p
}

func postOnce(client *http.Client, url string, body []byte) error {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-sentry-envelope")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	// Read to the end so the connection is kept alive, as the SDKs do.
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

func (p *poster) fail(err error) {
	if err != nil {
		p.mu.Lock()
		p.err = err
		p.mu.Unlock()
	}
}

func (p *poster) post() {
	p.wg.Add(1)
	p.queue <- struct{}{}
}

func (p *poster) wait(b *testing.B) {
	p.wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		b.Fatal(p.err)
	}
}

func (p *poster) close() {
	close(p.queue)
	p.done.Wait()
}

// BenchmarkRecover (scenario 3) recovers a string panic and reports it
// with a stack, measured on the caller's goroutine as in
// BenchmarkCaptureException.
func BenchmarkRecover(b *testing.B) {
	b.Run("raven", func(b *testing.B) {
		tr := &ravenMem{}
		c, ctx := newRaven(b, raven.WithDSN(memDSN), raven.WithTransport(tr), raven.WithAttachStacktrace(true), raven.WithSenders(1))
		callerLoop(b, func() {
			defer c.RecoverContext(ctx)
			panic("boom")
		}, func() { tr.unpark(); flushRaven(b, c) },
			func() { tr.park(func() { c.CaptureMessageContext(ctx, "park") }) })
		expect(b, "raven", tr.events.Load()-tr.parks)
	})
	b.Run("sentry-go", func(b *testing.B) {
		tr := &sentryMem{}
		c, hub := newSentry(b, sentry.ClientOptions{Dsn: memDSN, Transport: tr, AttachStacktrace: true})
		callerLoop(b, func() {
			defer func() {
				if r := recover(); r != nil {
					hub.Recover(r)
				}
			}()
			panic("boom")
		}, func() { flushSentry(b, c) }, nil)
		expect(b, "sentry-go", tr.events.Load())
	})
	b.Run("raven-go", func(b *testing.B) {
		tr := &ravenGoMem{}
		c, _ := newRavenGo(b, memDSN, tr)
		callerLoop(b, func() { c.CapturePanic(func() { panic("boom") }, nil) },
			func() { tr.unpark(); c.Wait() },
			func() { tr.park(func() { c.CaptureMessage("park", nil) }) })
		expect(b, "raven-go", tr.events.Load()-tr.parks)
	})
}

// BenchmarkDisabled (scenario 5) captures with a client that has no DSN:
// the cost of a capture, and how many goroutines creating the client and
// capturing left running.
func BenchmarkDisabled(b *testing.B) {
	b.Setenv("SENTRY_DSN", "")
	b.Run("raven", func(b *testing.B) {
		before := settledGoroutines()
		c, err := raven.New(raven.WithDSN(""))
		if err != nil {
			b.Fatal(err)
		}
		ctx := raven.ContextWithScope(context.Background(), c.Scope())
		b.ReportAllocs()
		for b.Loop() {
			c.CaptureExceptionContext(ctx, errChain)
		}
		b.ReportMetric(float64(runtime.NumGoroutine()-before), "goroutines")
		_ = c.Close(context.Background())
	})
	b.Run("sentry-go", func(b *testing.B) {
		before := settledGoroutines()
		c, err := sentry.NewClient(sentry.ClientOptions{Release: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		hub := sentry.NewHub(c, sentry.NewScope())
		b.ReportAllocs()
		for b.Loop() {
			hub.CaptureException(errChain)
		}
		b.ReportMetric(float64(runtime.NumGoroutine()-before), "goroutines")
		c.Close()
	})
	b.Run("raven-go", func(b *testing.B) {
		before := settledGoroutines()
		c, err := ravengo.New("")
		if err != nil {
			b.Fatal(err)
		}
		c.SetRelease("bench")
		b.ReportAllocs()
		for b.Loop() {
			c.CaptureError(errChain, nil)
		}
		c.Wait()
		b.ReportMetric(float64(runtime.NumGoroutine()-before), "goroutines")
		c.Close()
		time.Sleep(10 * time.Millisecond) // let its worker see the closed queue
	})
}
