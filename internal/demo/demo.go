// Package demo holds what the example programs share around the part a
// reader comes for: where the events go (SENTRY_DSN or an in-process
// receiver), requests an example makes to itself, and closing the client
// before printing what the receiver got.
package demo

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/raventest"
)

// CloseTimeout bounds how long Finish waits for the client to deliver
// what it holds.
const CloseTimeout = 5 * time.Second

// RunTimeout bounds a whole example run started by Main.
const RunTimeout = 30 * time.Second

// Run is an example's body: it sends its events to target and writes what
// it shows to out, so that a test can run it too.
type Run func(ctx context.Context, out io.Writer, target *Target) error

// Main runs run within RunTimeout, with the process's stdout and the
// target its environment names (see Start), and exits 1 with the error on
// stderr when it fails.
func Main(run Run) {
	ctx, cancel := context.WithTimeout(context.Background(), RunTimeout)
	target, err := Start(os.Getenv)
	if err == nil {
		err = run(ctx, os.Stdout, target)
		target.Close()
	}
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", filepath.Base(os.Args[0]), err)
		os.Exit(1)
	}
}

// Target is where an example sends its events: the server SENTRY_DSN
// names or, when it is unset, an in-process receiver.
type Target struct {
	// DSN is the DSN to give raven.
	DSN string
	// Receiver is the in-process receiver, nil when SENTRY_DSN is set.
	Receiver *raventest.Server
}

// Start returns the target getenv(raven.EnvDSN) names, or starts an
// in-process receiver when that is empty. The caller closes it.
func Start(getenv func(string) string) (*Target, error) {
	if dsn := getenv(raven.EnvDSN); dsn != "" {
		return &Target{DSN: dsn}, nil
	}
	srv, err := raventest.Start()
	if err != nil {
		return nil, err
	}
	return &Target{DSN: srv.DSN(), Receiver: srv}, nil
}

// Close stops the in-process receiver, if there is one.
func (t *Target) Close() {
	if t.Receiver != nil {
		t.Receiver.Close()
	}
}

// Finish closes the client through closeClient (Client.Close or
// raven.Close) within CloseTimeout, then prints "the receiver got N
// events:" and, sorted since events arrive in any order, the line
// describe gives each one, indented. With SENTRY_DSN set it prints where
// the events went instead.
func (t *Target) Finish(ctx context.Context, out io.Writer, closeClient func(context.Context) error, describe func(*raven.Event) string) error {
	cctx, cancel := context.WithTimeout(ctx, CloseTimeout)
	defer cancel()
	if err := closeClient(cctx); err != nil {
		return err
	}
	if t.Receiver == nil {
		fmt.Fprintln(out, "events sent to", raven.EnvDSN)
		return nil
	}
	events := t.Receiver.Events()
	lines := make([]string, 0, len(events))
	for _, ev := range events {
		lines = append(lines, "  "+describe(ev)+"\n")
	}
	slices.Sort(lines)
	fmt.Fprintf(out, "the receiver got %d events:\n%s", len(events), strings.Join(lines, ""))
	return nil
}

// Orders posts an order for each sku, as a user would: POST
// base+path+sku with the header X-User set to "user-"+sku, through c
// (http.DefaultClient when nil). It prints "POST path+sku -> status" for
// each answer, discarding its body, and closes c's idle connections at
// the end.
func Orders(ctx context.Context, out io.Writer, c *http.Client, base, path string, skus ...string) error {
	if c == nil {
		c = http.DefaultClient
	}
	defer c.CloseIdleConnections()
	for _, sku := range skus {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+path+sku, nil)
		if err != nil {
			return err
		}
		req.Header.Set("X-User", "user-"+sku)
		resp, err := c.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		fmt.Fprintf(out, "POST %s%s -> %d\n", path, sku, resp.StatusCode)
	}
	return nil
}

// Serve serves h on a loopback server while Orders posts an order for
// each sku to path there, then stops the server.
func Serve(ctx context.Context, out io.Writer, h http.Handler, path string, skus ...string) error {
	web := httptest.NewServer(h)
	defer web.Close()
	return Orders(ctx, out, web.Client(), web.URL, path, skus...)
}

// OrderEvent describes an event an order reported: its transaction, the
// type and value of its outermost exception, its user and sku tag.
func OrderEvent(ev *raven.Event) string {
	typ, value := Outer(ev)
	return fmt.Sprintf("%s | %s: %s | user %s, sku %s", ev.Transaction, typ, value, ev.User.ID, ev.Tags["sku"])
}

// Outer returns the type and value of the event's outermost exception,
// or no type and the message when it has no exception.
func Outer(ev *raven.Event) (typ, value string) {
	if ev.Exception != nil && len(ev.Exception.Values) > 0 {
		exc := ev.Exception.Values[len(ev.Exception.Values)-1]
		return exc.Type, exc.Value
	}
	if ev.Message != nil {
		return "", ev.Message.Formatted
	}
	return "", ""
}

// Value returns the value of the event's outermost exception, or its
// message when it has no exception.
func Value(ev *raven.Event) string {
	_, v := Outer(ev)
	return v
}

// LogEvent describes an event a logging integration reported: its error,
// level, sku tag and log message, then its breadcrumbs one a line, which
// are those of the event's own request only.
func LogEvent(ev *raven.Event) string {
	var b strings.Builder
	fmt.Fprintf(&b, "event %q (%s), tag sku=%s, extra log.message=%v", Value(ev), ev.Level, ev.Tags["sku"], ev.Extra["log.message"])
	if ev.Breadcrumbs != nil {
		for _, c := range ev.Breadcrumbs.Values {
			fmt.Fprintf(&b, "\n    breadcrumb %s: %s %v", c.Level, c.Message, c.Data)
		}
	}
	b.WriteString("\n    (the other requests' breadcrumbs stayed on their own scopes)")
	return b.String()
}
