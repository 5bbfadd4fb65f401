package main

import (
	"testing"

	"github.com/ravenkit/raven/internal/demo/demotest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRunAgainstEmbeddedReceiver(t *testing.T) {
	demotest.Check(t, run,
		"the receiver got 1 events",
		"reported: runtime error: index out of range [3] with length 3 (job=thumbnails image=c.png)",
		"the process is still alive")
}
