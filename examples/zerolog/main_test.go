package main

import (
	"testing"

	"github.com/ravenkit/raven/internal/demo/demotest"
	"github.com/stretchr/testify/assert"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRunAgainstEmbeddedReceiver(t *testing.T) {
	out := demotest.Check(t, run,
		"POST /orders/book -> 200",
		"POST /orders/gone -> 409",
		"the receiver got 1 events",
		`event "order gone: out of stock" (error), tag sku=gone, extra log.message=order failed`,
		"breadcrumb info: checking stock map[sku:gone]")
	assert.NotContains(t, out, "sku:book", "another request's breadcrumbs")
}
