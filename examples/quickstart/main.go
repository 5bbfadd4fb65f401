// Command quickstart shows raven end to end in one command.
//
// With no SENTRY_DSN it starts an in-process Sentry-compatible receiver
// (raventest), captures a wrapped error, a message and a panic from an HTTP
// handler, and prints what the receiver got. With SENTRY_DSN set it sends
// the same events to that server and prints their ids.
//
//	go run ./examples/quickstart
//	SENTRY_DSN=https://key@o0.ingest.sentry.io/0 go run ./examples/quickstart
//
// It exits 0 only when every event was received (or, with a DSN, delivered
// with nothing dropped).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"

	pkgerrors "github.com/pkg/errors"
	"github.com/ravenkit/raven"
	ravenhttp "github.com/ravenkit/raven/integrations/http"
	"github.com/ravenkit/raven/internal/demo"
	"github.com/ravenkit/raven/internal/eventprint"
)

func main() { demo.Main(run) }

// loadConfig fails the way configuration code does.
func loadConfig(path string) error {
	if _, err := os.Stat(path); err != nil {
		return pkgerrors.Wrap(err, "load config")
	}
	return nil
}

// handler panics on purpose: a nil map write, a real runtime panic.
func handler(w http.ResponseWriter, r *http.Request) {
	cache := sessionCache(r)
	cache[r.URL.Path] = "x" // panics: the cache is nil
	fmt.Fprintln(w, "unreachable")
}

func run(ctx context.Context, out io.Writer, target *demo.Target) error {
	srv := target.Receiver // nil with SENTRY_DSN set
	if srv != nil {
		fmt.Fprintf(out, "No SENTRY_DSN: sending to an in-process receiver at %s\n\n", srv.URL())
	}
	client, err := raven.New(raven.WithDSN(target.DSN), raven.WithRelease("quickstart@1.0.0"),
		raven.WithEnvironment("development"), raven.WithContextLines(1))
	if err != nil {
		return err
	}

	// A scope per unit of work: tags, user and breadcrumbs travel with ctx.
	ctx = raven.WithScope(raven.ContextWithScope(ctx, client.Scope()))
	scope := raven.ScopeFromContext(ctx)
	scope.SetTag("component", "quickstart")
	scope.SetUser(&raven.User{ID: "user-42"})
	scope.AddBreadcrumb(raven.Breadcrumb{Category: "app", Message: "starting up"})

	var ids []raven.EventID
	// 1. A wrapped error with a pkg/errors stack.
	if err := loadConfig("/etc/quickstart/missing.yaml"); err != nil {
		scope.AddBreadcrumb(raven.Breadcrumb{Category: "config", Message: "config not found", Level: raven.LevelWarning})
		ids = append(ids, client.CaptureExceptionContext(ctx, fmt.Errorf("startup: %w", err)))
	}
	// 2. A message.
	ids = append(ids, client.CaptureMessageContext(ctx, "quickstart ran"))
	// 3. A panic in an HTTP handler, recovered and reported.
	// The middleware gives each request its own scope (with the request
	// recorded on it), reports the panic and answers 500.
	mux := http.NewServeMux()
	mux.HandleFunc("GET /orders/{id}", handler)
	web := httptest.NewServer(ravenhttp.Handler(mux, ravenhttp.WithClient(client)))
	resp, err := http.Get(web.URL + "/orders/7")
	if err != nil {
		return err
	}
	resp.Body.Close()
	web.Close()
	ids = append(ids, "") // the panic's event, id known to the server only

	if err := client.Close(ctx); err != nil {
		return fmt.Errorf("flushing: %w", err)
	}
	st := client.Stats()
	if srv == nil {
		for _, id := range ids {
			if id != "" {
				fmt.Fprintf(out, "sent event %s\n", id)
			}
		}
		if st.Delivered != uint64(len(ids)) {
			return fmt.Errorf("delivered %d of %d events (dropped: %v)", st.Delivered, len(ids), st.Dropped)
		}
		return nil
	}
	events, err := srv.WaitForEvents(ctx, len(ids))
	if err != nil {
		return err
	}
	for _, ev := range events {
		eventprint.Fprint(out, ev)
	}
	if len(events) != len(ids) {
		return errors.New("the receiver did not get every event")
	}
	fmt.Fprintf(out, "%d events captured, %d received.\n", len(ids), len(events))
	return nil
}

// sessionCache returns the request's session cache, or nil: the handler
// above forgets that.
func sessionCache(*http.Request) map[string]string { return nil }
