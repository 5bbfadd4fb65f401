package raven_test

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/raventest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func worker(ctx context.Context) {
	raven.ScopeFromContext(ctx).SetTag("worker", "1")
	var p *struct{ n int }
	_ = p.n // nil dereference
}

func TestGoReportsPanicWithForkedScope(t *testing.T) {
	tr := raventest.NewTransport()
	c, err := raven.New(raven.WithDSN("https://k@example.com/1"), raven.WithTransport(tr))
	require.NoError(t, err)
	ctx := c.WithScope(context.Background())
	raven.ScopeFromContext(ctx).SetTag("parent", "1")
	raven.Go(ctx, worker)
	wctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	evs, err := tr.WaitForEvents(wctx, 1)
	require.NoError(t, err)
	ev := evs[0]
	assert.Equal(t, "1", ev.Tags["parent"])
	assert.Equal(t, "1", ev.Tags["worker"])
	exc := ev.Exception.Values[len(ev.Exception.Values)-1]
	assert.Equal(t, "runtime.Error", exc.Type)
	assert.False(t, *exc.Mechanism.Handled)
	frames := exc.Stacktrace.Frames
	assert.Equal(t, "worker", frames[len(frames)-1].Function)
	_, has := raven.ScopeFromContext(ctx).Tags()["worker"]
	assert.False(t, has, "the goroutine's scope does not leak into its parent")
	require.NoError(t, c.Close(wctx))
}

// TestGoRepanicCrashes runs itself in a child process, where the panic
// must still kill the process after being reported.
func TestGoRepanicCrashes(t *testing.T) {
	if dsn := os.Getenv("RAVEN_TEST_REPANIC_DSN"); dsn != "" {
		c, _ := raven.New(raven.WithDSN(dsn))
		done := make(chan struct{})
		raven.Go(c.WithScope(context.Background()), func(context.Context) {
			defer close(done)
			panic("fatal in worker")
		}, raven.GoRepanic())
		<-done
		time.Sleep(5 * time.Second)
		os.Exit(0) // not reached: the re-panic kills the process
	}
	srv := raventest.NewServer(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestGoRepanicCrashes$")
	cmd.Env = append(os.Environ(), "RAVEN_TEST_REPANIC_DSN="+srv.DSN())
	out, err := cmd.CombinedOutput()
	var exitErr *exec.ExitError
	require.ErrorAs(t, err, &exitErr, "%s", out)
	assert.Equal(t, 2, exitErr.ExitCode())
	assert.Contains(t, string(out), "panic: fatal in worker")
	require.Len(t, srv.Events(), 1, "delivered before the process died")
	assert.Equal(t, "fatal in worker", srv.Events()[0].Exception.Values[0].Value)
}
