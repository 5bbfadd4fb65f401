package raven_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/ravenkit/raven"
)

func ExampleParseCrash() {
	out := []byte("panic: something went wrong\n\ngoroutine 1 [running]:\nmain.handle(...)\n\t/app/main.go:12\nmain.main()\n\t/app/main.go:20 +0x1d\nexit status 2\n")
	ev, err := raven.ParseCrash(out)
	if err != nil {
		log.Fatal(err)
	}
	exc := ev.Exception.Values[0]
	fmt.Println(ev.Level, exc.Type+":", exc.Value)
	for _, f := range exc.Stacktrace.Frames { // oldest first
		fmt.Println(f.Module, f.Function, f.Lineno, f.InApp)
	}
	// Output:
	// fatal panic: something went wrong
	// main main 20 true
	// main handle 12 true
}

// A program reporting its own crashes: CrashMonitor comes first in main,
// because the monitor is this same binary started again.
func ExampleWithCrashReporting() {
	raven.CrashMonitor() // returns at once, unless this process is the monitor

	err := raven.Init(
		raven.WithDSN(os.Getenv("SENTRY_DSN")),
		raven.WithCrashReporting(),
		raven.WithOutbox("/var/lib/myapp/raven"), // crashes reported while the server is away are kept
	)
	if err != nil {
		log.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = raven.Close(ctx)
	}()
	raven.CurrentClient().Scope().SetTag("component", "worker")
	// ... a panic in any goroutine from here on is reported as a fatal event
}

// Events that cannot be delivered wait on disk and are sent when the
// server answers again, or by the next start.
func ExampleWithOutbox() {
	c, err := raven.New(
		raven.WithDSN(os.Getenv("SENTRY_DSN")),
		raven.WithOutbox(os.TempDir()+"/myapp-outbox", raven.WithOutboxLimits(500, 16<<20)),
	)
	if err != nil {
		log.Fatal(err)
	}
	c.CaptureMessage("nightly backup failed")
	_ = c.Close(context.Background())
}
