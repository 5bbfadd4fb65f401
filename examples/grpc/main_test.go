package main

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestEmbeddedReceiver(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out bytes.Buffer
	require.NoError(t, run(ctx, &out, func(string) string { return "" }))
	s := out.String()
	for _, want := range []string{
		"Check(gone) -> NotFound",
		"Check(crash) -> Internal",
		"Watch(flaky) -> 3 updates, OK",
		"4 events captured, 4 delivered",
		"rpc error: code = Unavailable desc = stock table locked",
		"assignment to entry in nil map",
		"grpc:/grpc.health.v1.Health/Check (NotFound)",
	} {
		assert.Contains(t, s, want)
	}
	assert.NotContains(t, s, "authorization sent: true")
	assert.NotContains(t, s, "in caller's trace: false")
}
