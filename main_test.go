package raven_test

import (
	"testing"

	"github.com/ravenkit/raven"
	"go.uber.org/goleak"
)

// TestMain checks that no test leaves a goroutine behind. It starts with
// CrashMonitor, as a program using WithCrashReporting does, so that tests
// can use the crash monitor: it is this test binary started again.
func TestMain(m *testing.M) {
	raven.CrashMonitor()
	goleak.VerifyTestMain(m)
}
