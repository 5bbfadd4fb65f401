package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ravenkit/raven/internal/demo"
	"github.com/ravenkit/raven/internal/demo/demotest"
	"github.com/ravenkit/raven/internal/schematest"
	"github.com/ravenkit/raven/raventest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestEmbeddedReceiver(t *testing.T) {
	demotest.Check(t, run,
		"3 events captured, 3 received.",
		"*fs.PathError: load config",
		"assignment to entry in nil map",
		`> cache[r.URL.Path] = "x"`, // the panic's context line
		"at loadConfig (github.com/ravenkit/raven/examples/quickstart/main.go:",
		`request: GET http://127.0.0.1:`,
		`(transaction "GET /orders/{id}")`)
}

func TestWithSentryDSN(t *testing.T) {
	srv := raventest.NewServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out bytes.Buffer
	target, err := demo.Start(func(k string) string {
		if k == "SENTRY_DSN" {
			return srv.DSN()
		}
		return ""
	})
	require.NoError(t, err)
	require.Nil(t, target.Receiver, "SENTRY_DSN names the server")
	require.NoError(t, run(ctx, &out, target))
	evs, err := srv.WaitForEvents(ctx, 3)
	require.NoError(t, err)
	assert.Len(t, evs, 3)
	for _, ev := range evs {
		assert.Equal(t, "quickstart@1.0.0", ev.Release)
	}
	for _, raw := range srv.RawEvents() {
		schematest.Check(t, raw)
	}
	assert.Equal(t, 2, strings.Count(out.String(), "sent event "), "ids of the direct captures")
}

// TestCommandWithSentryDSN runs the built command, as a user would, with
// SENTRY_DSN pointing at a receiver.
func TestCommandWithSentryDSN(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command")
	}
	bin := filepath.Join(t.TempDir(), "quickstart")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "%s", out)
	srv := raventest.NewServer(t)
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "SENTRY_DSN="+srv.DSN())
	out, err = cmd.CombinedOutput()
	require.NoError(t, err, "exit status 0 expected:\n%s", out)
	assert.Equal(t, 2, strings.Count(string(out), "sent event "))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	evs, err := srv.WaitForEvents(ctx, 3)
	require.NoError(t, err)
	assert.Len(t, evs, 3)

	// and without a DSN it prints what its own receiver got
	cmd = exec.Command(bin)
	cmd.Env = append(os.Environ(), "SENTRY_DSN=")
	out, err = cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "3 events captured, 3 received.")
}
