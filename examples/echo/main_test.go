package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRunAgainstEmbeddedReceiver(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(&out, func(string) string { return "" }))
	s := out.String()
	assert.Contains(t, s, "POST /orders/book -> 200")
	assert.Contains(t, s, "POST /orders/down -> 500")
	assert.Contains(t, s, "POST /orders/bad -> 400")
	assert.Contains(t, s, "POST /orders/crash -> 500")
	assert.Contains(t, s, "the receiver got 2 events")
	assert.Contains(t, s, "POST /orders/:sku: order down: warehouse down (user user-down, sku down)")
	assert.Contains(t, s, "POST /orders/:sku: assignment to entry in nil map (user user-crash, sku crash)")
}
