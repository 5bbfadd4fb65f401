// Command flood measures how each SDK degrades under sustained overload:
// G goroutines capture the same error in a tight loop for a while, on a
// machine with few cores, against a loopback server, while a second, quiet
// call site reports a different error every 50 ms.
//
// It first measures the paced rate: the events per second the SDK delivers
// when captures are held back so that its queue never overflows (closed
// loop on what the server received). Then the flood: the events per second
// the server receives during it, as a share of the paced rate, and how many
// of the quiet site's events arrive once the SDK is flushed.
//
//	go run ./cmd/flood -duration 3s -goroutines 4 [-json out.json]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/getsentry/sentry-go"
	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/benchmarks/internal/report"
	"github.com/ravenkit/raven/benchmarks/internal/sink"
)

// Config describes one run.
type Config struct {
	Duration   time.Duration // of the paced phase and of the flood
	Goroutines int           // capturing in the flood
	SDKs       []string      // raven, sentry-go
}

// Result is one SDK's figures.
type Result struct {
	SDK           string  `json:"sdk"`
	PacedPerSec   float64 `json:"paced_per_sec"`
	FloodCaptured int64   `json:"flood_captured"`
	FloodPerSec   float64 `json:"flood_delivered_per_sec"` // received by the server during the flood
	Share         float64 `json:"share_of_paced"`
	QuietCaptured int64   `json:"quiet_captured"`
	QuietArrived  int64   `json:"quiet_delivered"`
	Note          string  `json:"note,omitempty"`
}

// SDKs lists the SDKs in report order.
var SDKs = []string{"raven", "sentry-go"}

var (
	errFlood = fmt.Errorf("poll queue: %w", errors.New("connection reset by peer"))
	quietTag = "quiet-call-site"
	errQuiet = fmt.Errorf("%s: %w", quietTag, errors.New("disk full"))
)

// sdk is what the runs need of a client.
type sdk struct {
	capture func(error)
	flush   func(time.Duration)
	close   func()
}

func newSDK(name, dsn string) (sdk, error) {
	switch name {
	case "raven":
		c, err := raven.New(raven.WithDSN(dsn), raven.WithRelease("flood"))
		if err != nil {
			return sdk{}, err
		}
		return sdk{
			capture: func(err error) { c.CaptureException(err) },
			flush: func(d time.Duration) {
				ctx, cancel := context.WithTimeout(context.Background(), d)
				defer cancel()
				_ = c.Flush(ctx)
			},
			close: func() {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_ = c.Close(ctx)
			},
		}, nil
	case "sentry-go":
		c, err := sentry.NewClient(sentry.ClientOptions{Dsn: dsn, Release: "flood"})
		if err != nil {
			return sdk{}, err
		}
		hub := sentry.NewHub(c, sentry.NewScope())
		return sdk{
			capture: func(err error) { hub.CaptureException(err) },
			flush:   func(d time.Duration) { c.Flush(d) },
			close:   func() { c.Flush(5 * time.Second); c.Close() },
		}, nil
	}
	return sdk{}, fmt.Errorf("flood: unknown SDK %q", name)
}

// paced captures in a closed loop: never more than window events ahead of
// what the server received.
func paced(s sdk, srv *sink.Server, d time.Duration) float64 {
	const window = 64
	start := time.Now()
	base := srv.Events()
	var captured int64
	for time.Since(start) < d {
		if captured-(srv.Events()-base) >= window {
			time.Sleep(50 * time.Microsecond)
			continue
		}
		s.capture(errFlood)
		captured++
	}
	got := srv.Events() - base
	elapsed := time.Since(start)
	s.flush(5 * time.Second)
	return float64(got) / elapsed.Seconds()
}

func flood(cfg Config, s sdk, srv *sink.Server) (r Result) {
	srv.SetMarker([]byte(quietTag))
	defer srv.SetMarker(nil)
	stop := make(chan struct{})
	var captured atomic.Int64
	var wg sync.WaitGroup
	for range cfg.Goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := int64(0)
			for {
				select {
				case <-stop:
					captured.Add(n)
					return
				default:
				}
				s.capture(errFlood)
				n++
			}
		}()
	}
	wg.Add(1)
	var quiet int64
	go func() {
		defer wg.Done()
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				s.capture(errQuiet)
				quiet++
			}
		}
	}()
	base := srv.Events()
	start := time.Now()
	time.Sleep(cfg.Duration)
	got := srv.Events() - base
	elapsed := time.Since(start)
	close(stop)
	wg.Wait()
	s.flush(10 * time.Second)
	r.FloodCaptured = captured.Load()
	r.FloodPerSec = float64(got) / elapsed.Seconds()
	r.QuietCaptured = quiet
	r.QuietArrived = srv.Marked()
	return r
}

// Run measures every SDK in cfg.SDKs, each against its own server.
func Run(cfg Config) ([]Result, error) {
	if cfg.Duration <= 0 || cfg.Goroutines <= 0 {
		return nil, errors.New("flood: duration and goroutines must be positive")
	}
	if len(cfg.SDKs) == 0 {
		cfg.SDKs = SDKs
	}
	var out []Result
	for _, name := range cfg.SDKs {
		srv := sink.Start(0)
		s, err := newSDK(name, srv.DSN())
		if err != nil {
			srv.Close()
			return nil, err
		}
		rate := paced(s, srv, cfg.Duration)
		r := flood(cfg, s, srv)
		s.close()
		srv.Close()
		r.SDK, r.PacedPerSec = name, rate
		if rate > 0 {
			r.Share = r.FloodPerSec / rate
		}
		if note := report.ServerNote(srv); note != "" {
			r.Note = note
		}
		out = append(out, r)
	}
	return out, nil
}

// Print writes the results as a table.
func Print(w io.Writer, cfg Config, results []Result) {
	t := report.Table{
		Title:  fmt.Sprintf("flood: %d goroutines capturing nonstop for %s; a quiet call site every 50 ms", cfg.Goroutines, cfg.Duration),
		Header: "SDK\tpaced events/s\tflood captured\tdelivered/s in flood\tshare of paced\tquiet captured\tquiet delivered\t",
	}
	for _, r := range results {
		t.Add(r.SDK, r.Note, fmt.Sprintf("%s\t%.0f\t%d\t%.0f\t%.0f%%\t%d\t%d\t", r.SDK, r.PacedPerSec, r.FloodCaptured, r.FloodPerSec,
			100*r.Share, r.QuietCaptured, r.QuietArrived))
	}
	t.Write(w)
}

func main() {
	cfg := Config{}
	flag.DurationVar(&cfg.Duration, "duration", 3*time.Second, "length of the paced phase and of the flood")
	flag.IntVar(&cfg.Goroutines, "goroutines", 4, "goroutines capturing nonstop in the flood")
	report.Main(&cfg, &cfg.SDKs, SDKs, Run, Print)
}
