package main

import (
	"testing"

	"github.com/ravenkit/raven/internal/demo/demotest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRunAgainstEmbeddedReceiver(t *testing.T) {
	demotest.Check(t, run,
		"POST /orders/book -> 200",
		"POST /orders/down -> 500",
		"POST /orders/bad -> 400",
		"POST /orders/crash -> 500",
		"the receiver got 2 events",
		"POST /orders/:sku | error: order down: warehouse down | user user-down, sku down",
		"POST /orders/:sku | runtime.Error: assignment to entry in nil map | user user-crash, sku crash")
}
