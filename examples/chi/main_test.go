package main

import (
	"testing"

	"github.com/ravenkit/raven/internal/demo/demotest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRunAgainstEmbeddedReceiver(t *testing.T) {
	demotest.Check(t, run,
		"POST /shop/east/orders/book -> 200",
		"POST /shop/east/orders/gone -> 409",
		"POST /shop/east/orders/crash -> 500",
		"the receiver got 2 events",
		"POST /shop/{shop}/orders/{sku} | error: order gone: out of stock | user user-gone, sku gone",
		"POST /shop/{shop}/orders/{sku} | runtime.Error: assignment to entry in nil map | user user-crash, sku crash")
}
