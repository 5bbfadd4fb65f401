package main

import (
	"testing"

	"github.com/ravenkit/raven/internal/demo/demotest"
	"github.com/stretchr/testify/assert"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestEmbeddedReceiver(t *testing.T) {
	s := demotest.Check(t, run,
		"Check(gone) -> NotFound",
		"Check(crash) -> Internal",
		"Watch(flaky) -> 3 updates, OK",
		"4 events captured, 4 delivered",
		"rpc error: code = Unavailable desc = stock table locked",
		"assignment to entry in nil map",
		"grpc:/grpc.health.v1.Health/Check (NotFound)")
	assert.NotContains(t, s, "authorization sent: true")
	assert.NotContains(t, s, "in caller's trace: false")
}
