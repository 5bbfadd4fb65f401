// Command crashapp is a program using raven's crash reporting; the crash
// and outbox tests build it and let it die in the way its argument names:
//
//	crashapp goroutine-panic | concurrent-map | nil-map   crash (monitor)
//	crashapp outbox-panic      crash into the outbox (CrashToOutbox)
//	crashapp exit-queued       capture, close at once, os.Exit(3)
//	crashapp start             start with the outbox and send what it holds
//	crashapp ok                exit normally
//
// The DSN comes from SENTRY_DSN; RAVEN_TEST_OUTBOX names the outbox
// directory (optional).
package main

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/ravenkit/raven"
)

//go:noinline
func explode(msg string) { panic(msg) }

func inGoroutine(f func()) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		// Not deferred: a deferred Done would run while the panic unwinds
		// and let main return (exit status 0) before the crash is printed.
		f()
		wg.Done()
	}()
	wg.Wait()
}

func main() {
	raven.CrashMonitor()
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: crashapp MODE")
		os.Exit(2)
	}
	mode := os.Args[1]
	opts := []raven.Option{
		raven.WithRelease("crashapp@1.0.0"),
		raven.WithEnvironment("test"),
		raven.WithTags(map[string]string{"app": "crashapp"}),
	}
	crashOpts := []raven.CrashOption{raven.WithCrashScopeInterval(20 * time.Millisecond)}
	if dir := os.Getenv("RAVEN_TEST_OUTBOX"); dir != "" {
		opts = append(opts, raven.WithOutbox(dir, raven.WithOutboxBackoff(20*time.Millisecond, 200*time.Millisecond)))
	}
	if mode == "outbox-panic" {
		crashOpts = append(crashOpts, raven.CrashToOutbox())
	}
	if mode != "start" && mode != "exit-queued" {
		opts = append(opts, raven.WithCrashReporting(crashOpts...))
	}
	if err := raven.Init(opts...); err != nil {
		fmt.Fprintln(os.Stderr, "crashapp:", err)
		os.Exit(2)
	}
	scope := raven.CurrentClient().Scope()
	scope.SetTag("mode", mode)
	scope.SetUser(&raven.User{ID: "u-42"})
	scope.AddBreadcrumb(raven.Breadcrumb{Category: "test", Message: "about to " + mode})
	time.Sleep(100 * time.Millisecond) // let the scope be saved for the crash report

	switch mode {
	case "goroutine-panic", "outbox-panic":
		inGoroutine(func() { explode("crashapp exploded") })
	case "concurrent-map":
		m := map[int]int{}
		for i := 0; i < 4; i++ {
			go func() {
				for j := 0; ; j++ {
					m[j%100] = j
				}
			}()
		}
		select {}
	case "nil-map":
		inGoroutine(func() {
			var m map[string]int
			m["x"]++ //lint:ignore SA5000 the crash under test
		})
	case "exit-queued":
		id := raven.CaptureMessage("queued at exit")
		fmt.Println(id)
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // no time to send: what is queued goes to the outbox
		_ = raven.Close(ctx)
		os.Exit(3)
	case "start":
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for ctx.Err() == nil && raven.CurrentClient().Stats().Delivered == 0 {
			time.Sleep(20 * time.Millisecond)
		}
		_ = raven.Close(ctx)
		fmt.Println(raven.CurrentClient().Stats().Delivered)
	case "ok":
		_ = raven.Close(context.Background())
	default:
		fmt.Fprintln(os.Stderr, "unknown mode", mode)
		os.Exit(2)
	}
}
