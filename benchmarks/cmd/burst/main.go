// Command burst captures N errors as fast as it can with each SDK against a
// loopback server that answers after a configurable latency, then flushes,
// and prints what became of every event: delivered (counted by the
// server), dropped and reported (the SDK's own drop counters or client
// reports the server received), or dropped silently (everything else).
//
//	go run ./cmd/burst -n 3000 -latency 20ms -timeout 60s [-json out.json]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	ravengo "github.com/getsentry/raven-go"
	"github.com/getsentry/sentry-go"
	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/benchmarks/internal/report"
	"github.com/ravenkit/raven/benchmarks/internal/sink"
)

// Config describes one burst.
type Config struct {
	N       int           // captures per SDK
	Latency time.Duration // server latency per request
	Timeout time.Duration // bound on the flush (and close) after the burst
	SDKs    []string      // which SDKs to run: raven, sentry-go, raven-go
	Senders int           // raven's WithSenders; 0 keeps its default
}

// Result is what became of one SDK's burst.
type Result struct {
	SDK       string `json:"sdk"`
	Captured  int64  `json:"captured"`
	Delivered int64  `json:"delivered"` // events the server received
	// Reported is how many drops the SDK made known: the larger of its own
	// counters (raven Stats, raven-go DropHandler) and the discarded events
	// the server learnt of through client reports.
	Reported       int64         `json:"dropped_reported"`
	CountedLocally int64         `json:"counted_locally"`
	ClientReports  int64         `json:"client_reports"`
	Silent         int64         `json:"dropped_silently"` // captured - delivered - reported
	CaptureTime    time.Duration `json:"capture_ns"`
	FlushTime      time.Duration `json:"flush_ns"`
	FlushCompleted bool          `json:"flush_completed"` // false when Timeout cut the flush short
	Note           string        `json:"note,omitempty"`
}

// SDKs lists the SDKs in report order.
var SDKs = []string{"raven", "sentry-go", "raven-go"}

var errBurst = fmt.Errorf("handle order 42: %w", fmt.Errorf("load customer: %w", errors.New("connection refused")))

// Run runs the burst once per SDK in cfg.SDKs, each against its own
// server.
func Run(cfg Config) ([]Result, error) {
	if cfg.N <= 0 {
		return nil, errors.New("burst: N must be positive")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = time.Minute
	}
	if len(cfg.SDKs) == 0 {
		cfg.SDKs = SDKs
	}
	var out []Result
	for _, name := range cfg.SDKs {
		var run func(Config, *sink.Server) (Result, error)
		switch name {
		case "raven":
			run = runRaven
		case "sentry-go":
			run = runSentry
		case "raven-go":
			run = runRavenGo
		default:
			return nil, fmt.Errorf("burst: unknown SDK %q", name)
		}
		srv := sink.Start(cfg.Latency)
		r, err := run(cfg, srv)
		srv.Close()
		if err != nil {
			return nil, fmt.Errorf("burst %s: %w", name, err)
		}
		r.SDK = name
		r.Captured = int64(cfg.N)
		r.Delivered = srv.Events()
		r.ClientReports = srv.Reported()
		r.Reported = max(r.CountedLocally, r.ClientReports)
		r.Silent = r.Captured - r.Delivered - r.Reported
		if note := report.ServerNote(srv); note != "" {
			r.Note = note
		}
		out = append(out, r)
	}
	return out, nil
}

// timed runs f, bounded by d; it reports whether f finished in time.
func timed(d time.Duration, f func() bool) (time.Duration, bool) {
	start := time.Now()
	done := make(chan bool, 1)
	go func() { done <- f() }()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case ok := <-done:
		return time.Since(start), ok
	case <-t.C:
		return time.Since(start), false
	}
}

func runRaven(cfg Config, srv *sink.Server) (Result, error) {
	opts := []raven.Option{raven.WithDSN(srv.DSN()), raven.WithRelease("burst")}
	if cfg.Senders > 0 {
		opts = append(opts, raven.WithSenders(cfg.Senders))
	}
	c, err := raven.New(opts...)
	if err != nil {
		return Result{}, err
	}
	var r Result
	start := time.Now()
	for range cfg.N {
		c.CaptureException(errBurst)
	}
	r.CaptureTime = time.Since(start)
	ctx, cancel := context.WithTimeout(context.Background(), cfg.Timeout)
	defer cancel()
	r.FlushTime, r.FlushCompleted = timed(cfg.Timeout, func() bool { return c.Flush(ctx) == nil })
	if err := c.Close(ctx); err != nil && r.FlushCompleted {
		r.Note = "close: " + err.Error()
	}
	r.CountedLocally = int64(c.Stats().DroppedTotal())
	return r, nil
}

func runSentry(cfg Config, srv *sink.Server) (Result, error) {
	c, err := sentry.NewClient(sentry.ClientOptions{Dsn: srv.DSN(), Release: "burst"})
	if err != nil {
		return Result{}, err
	}
	hub := sentry.NewHub(c, sentry.NewScope())
	var r Result
	start := time.Now()
	for range cfg.N {
		hub.CaptureException(errBurst)
	}
	r.CaptureTime = time.Since(start)
	r.FlushTime, r.FlushCompleted = timed(cfg.Timeout, func() bool { return c.Flush(cfg.Timeout) })
	// Close sends what client reports are left; sentry-go has no API
	// that counts drops, so CountedLocally stays 0.
	timed(cfg.Timeout, func() bool { c.Close(); return true })
	return r, nil
}

func runRavenGo(cfg Config, srv *sink.Server) (Result, error) {
	c, err := ravengo.New(srv.DSN())
	if err != nil {
		return Result{}, err
	}
	c.SetRelease("burst")
	var drops atomic.Int64
	c.DropHandler = func(*ravengo.Packet) { drops.Add(1) }
	var r Result
	start := time.Now()
	for range cfg.N {
		c.CaptureError(errBurst, nil)
	}
	r.CaptureTime = time.Since(start)
	r.FlushTime, r.FlushCompleted = timed(cfg.Timeout, func() bool { c.Wait(); return true })
	if r.FlushCompleted {
		c.Close()
	}
	r.CountedLocally = drops.Load()
	return r, nil
}

// Print writes the results as a table.
func Print(w io.Writer, cfg Config, results []Result) {
	t := report.Table{
		Title:  fmt.Sprintf("burst: %d captures per SDK, server latency %s, flush bounded by %s", cfg.N, cfg.Latency, cfg.Timeout),
		Header: "SDK\tcaptured\tdelivered\tdropped-reported\tdropped-silently\tcapture time\tflush time\t",
	}
	for _, r := range results {
		flush := r.FlushTime.Round(time.Millisecond).String()
		if !r.FlushCompleted {
			flush += " (timed out)"
		}
		t.Add(r.SDK, r.Note, fmt.Sprintf("%s\t%d\t%d\t%d\t%d\t%s\t%s\t", r.SDK, r.Captured, r.Delivered, r.Reported, r.Silent,
			r.CaptureTime.Round(time.Microsecond), flush))
	}
	t.Write(w)
}

func main() {
	cfg := Config{}
	flag.IntVar(&cfg.N, "n", 3000, "captures per SDK")
	flag.DurationVar(&cfg.Latency, "latency", 20*time.Millisecond, "server latency per request")
	flag.DurationVar(&cfg.Timeout, "timeout", time.Minute, "bound on the flush after the burst")
	flag.IntVar(&cfg.Senders, "raven-senders", 0, "raven's WithSenders (0: its default)")
	report.Main(&cfg, &cfg.SDKs, SDKs, Run, Print)
}
