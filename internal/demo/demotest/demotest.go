// Package demotest runs an example program's body in its tests.
package demotest

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ravenkit/raven/internal/demo"
)

// Timeout bounds one run of an example in a test.
const Timeout = 20 * time.Second

// Check runs run against an in-process receiver (an environment without
// SENTRY_DSN) within Timeout, fails tb when it returns an error or when
// its output lacks one of want, and returns the output.
func Check(tb testing.TB, run demo.Run, want ...string) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	target, err := demo.Start(func(string) string { return "" })
	if err != nil {
		tb.Fatal(err)
	}
	defer target.Close()
	var out bytes.Buffer
	if err := run(ctx, &out, target); err != nil {
		tb.Fatalf("run: %v\noutput:\n%s", err, out.String())
	}
	s := out.String()
	for _, w := range want {
		if !strings.Contains(s, w) {
			tb.Errorf("output lacks %q:\n%s", w, s)
		}
	}
	return s
}
