package raven_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/internal/schematest"
	"github.com/ravenkit/raven/raventest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// buildProg builds a program of this module into dir.
func buildProg(t *testing.T, dir, pkg string) string {
	t.Helper()
	bin := filepath.Join(dir, filepath.Base(pkg))
	out, err := exec.Command("go", "build", "-o", bin, "github.com/ravenkit/raven/"+pkg).CombinedOutput()
	require.NoError(t, err, "%s", out)
	return bin
}

// sourceLine is the 1-based line of the first line of file containing marker.
func sourceLine(t *testing.T, file, marker string) int {
	t.Helper()
	f, err := os.Open(file)
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if strings.Contains(sc.Text(), marker) {
			return n
		}
	}
	t.Fatalf("%q not found in %s", marker, file)
	return 0
}

// runApp runs crashapp in mode and returns its exit code and stdout.
func runApp(t *testing.T, bin, mode, dsn, outbox string) (int, string) {
	t.Helper()
	cmd := exec.Command(bin, mode)
	cmd.Env = append(os.Environ(), "SENTRY_DSN="+dsn, "RAVEN_TEST_OUTBOX="+outbox, "GOTRACEBACK=")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), string(out)
	}
	require.NoError(t, err, "stderr: %s", stderr.String())
	t.Logf("crashapp %s exited 0; stdout %q; stderr %q", mode, out, stderr.String())
	return 0, string(out)
}

func hasBreadcrumb(ev *raven.Event, msg string) bool {
	if ev.Breadcrumbs == nil {
		return false
	}
	for _, b := range ev.Breadcrumbs.Values {
		if b.Message == msg {
			return true
		}
	}
	return false
}

// TestCrashCapture builds internal/testprog/crashapp once and lets it die
// in several ways; the crash must reach the server with the crashing
// goroutine's stack and the scope the program had set.
func TestCrashCapture(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs programs")
	}
	bin := buildProg(t, t.TempDir(), "internal/testprog/crashapp")
	src, err := filepath.Abs(filepath.Join("internal", "testprog", "crashapp", "main.go"))
	require.NoError(t, err)

	checkCrash := func(t *testing.T, ev *raven.Event, mode, typ, valuePrefix, marker string) {
		t.Helper()
		assert.Equal(t, raven.LevelFatal, ev.Level)
		assert.Equal(t, "crashapp@1.0.0", ev.Release)
		assert.Equal(t, "test", ev.Environment)
		assert.Equal(t, "crashapp", ev.Tags["app"])
		assert.Equal(t, mode, ev.Tags["mode"])
		require.NotNil(t, ev.User)
		assert.Equal(t, "u-42", ev.User.ID)
		assert.True(t, hasBreadcrumb(ev, "about to "+mode), "breadcrumbs: %+v", ev.Breadcrumbs)
		require.NotNil(t, ev.Exception)
		exc := ev.Exception.Values[len(ev.Exception.Values)-1]
		assert.Equal(t, typ, exc.Type)
		assert.True(t, strings.HasPrefix(exc.Value, valuePrefix), exc.Value)
		require.NotNil(t, exc.Mechanism)
		assert.False(t, *exc.Mechanism.Handled)
		require.NotNil(t, exc.Stacktrace)
		top := exc.Stacktrace.Frames[len(exc.Stacktrace.Frames)-1]
		assert.Equal(t, "main", top.Module)
		assert.True(t, top.InApp)
		assert.Equal(t, sourceLine(t, src, marker), top.Lineno, "top frame %+v", top)
		assert.Equal(t, "github.com/ravenkit/raven/internal/testprog/crashapp/main.go", top.Filename)
		require.NotNil(t, ev.Threads)
		crashed := 0
		for _, th := range ev.Threads.Values {
			if th.Crashed {
				crashed++
				require.NotNil(t, exc.ThreadID)
				assert.Equal(t, *exc.ThreadID, th.ID)
			}
		}
		assert.Equal(t, 1, crashed)
		assert.Greater(t, len(ev.Threads.Values), 1, "every goroutine is reported")
		payload, err := json.Marshal(ev)
		require.NoError(t, err)
		schematest.Check(t, payload)
	}

	monitorCases := []struct {
		mode, typ, value, marker string
	}{
		{"goroutine-panic", "panic", "crashapp exploded", "func explode(msg string)"},
		{"concurrent-map", "fatal error", "concurrent map access", "m[j%100] = j"},
		{"nil-map", "panic", "assignment to entry in nil map", `m["x"]++`},
	}
	for _, tc := range monitorCases {
		t.Run("monitor/"+tc.mode, func(t *testing.T) {
			srv := raventest.NewServer(t)
			code, _ := runApp(t, bin, tc.mode, srv.DSN(), "")
			assert.Equal(t, 2, code)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			evs, err := srv.WaitForEvents(ctx, 1)
			require.NoError(t, err, "the monitor did not report the crash")
			require.Len(t, evs, 1)
			checkCrash(t, evs[0], tc.mode, tc.typ, tc.value, tc.marker)
		})
	}

	t.Run("monitor/server-down-then-outbox", func(t *testing.T) {
		dir := t.TempDir()
		code, _ := runApp(t, bin, "goroutine-panic", deadDSN(t), dir)
		assert.Equal(t, 2, code)
		// the monitor outlives the program: wait for it to store the event
		waitFor(t, 20*time.Second, func() bool { return len(outboxFiles(t, dir)) == 1 }, "crash stored in the outbox")
		srv := publicServer(t)
		code, out := runApp(t, bin, "start", srv.DSN(), dir)
		require.Equal(t, 0, code)
		assert.Equal(t, "1", strings.TrimSpace(out))
		evs := srv.Events()
		require.Len(t, evs, 1)
		checkCrash(t, evs[0], "goroutine-panic", "panic", "crashapp exploded", "func explode(msg string)")
		assert.Empty(t, outboxFiles(t, dir))
	})

	t.Run("outbox/crash-file-next-start", func(t *testing.T) {
		dir := t.TempDir()
		srv := raventest.NewServer(t)
		code, _ := runApp(t, bin, "outbox-panic", srv.DSN(), dir)
		assert.Equal(t, 2, code)
		assert.Empty(t, srv.Events(), "nothing is sent before the next start")
		code, _ = runApp(t, bin, "start", srv.DSN(), dir)
		require.Equal(t, 0, code)
		evs := srv.Events()
		require.Len(t, evs, 1)
		checkCrash(t, evs[0], "outbox-panic", "panic", "crashapp exploded", "func explode(msg string)")
		left, _ := filepath.Glob(filepath.Join(dir, "*"))
		assert.Empty(t, left)
	})

	t.Run("outbox/exit-with-queued-event", func(t *testing.T) {
		dir := t.TempDir()
		code, out := runApp(t, bin, "exit-queued", deadDSN(t), dir)
		assert.Equal(t, 3, code)
		id := strings.TrimSpace(out)
		require.Len(t, id, 32)
		require.Len(t, outboxFiles(t, dir), 1)
		srv := publicServer(t)
		code, _ = runApp(t, bin, "start", srv.DSN(), dir)
		require.Equal(t, 0, code)
		evs := srv.Events()
		require.Len(t, evs, 1)
		assert.Equal(t, id, string(evs[0].EventID))
		require.NotNil(t, evs[0].Message)
		assert.Equal(t, "queued at exit", evs[0].Message.Formatted)
		assert.Equal(t, "exit-queued", evs[0].Tags["mode"])
		assert.Equal(t, "crashapp", evs[0].Tags["app"])
	})

	t.Run("monitor/normal-exit-reports-nothing", func(t *testing.T) {
		srv := raventest.NewServer(t)
		code, _ := runApp(t, bin, "ok", srv.DSN(), "")
		assert.Equal(t, 0, code)
		time.Sleep(300 * time.Millisecond)
		assert.Empty(t, srv.Events())
	})
}

func TestCrashToOutboxNeedsOutbox(t *testing.T) {
	_, err := raven.New(raven.WithDSN("http://k@127.0.0.1:1/1"), raven.WithCrashReporting(raven.CrashToOutbox()))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "WithOutbox")
}

// The scope is saved when it changes (at most once per interval), and a
// crash file left by a process that died is reported by the next client
// with that saved scope.
func TestCrashScopeSavedAndCollected(t *testing.T) {
	dir := t.TempDir()
	t.Cleanup(func() { _ = debug.SetCrashOutput(nil, debug.CrashOptions{}) })
	srv := raventest.NewServer(t)
	c, err := raven.New(raven.WithDSN(srv.DSN()), raven.WithRelease("r9"),
		raven.WithOutbox(dir, fastBackoff()),
		raven.WithCrashReporting(raven.CrashToOutbox(), raven.WithCrashScopeInterval(10*time.Millisecond), raven.WithCrashTraceback("")))
	require.NoError(t, err)
	states, err := filepath.Glob(filepath.Join(dir, "crash-*.state.json"))
	require.NoError(t, err)
	require.Len(t, states, 1)
	state := states[0]
	readState := func() string {
		b, _ := os.ReadFile(state)
		return string(b)
	}
	assert.Contains(t, readState(), `"release":"r9"`)

	c.Scope().SetTag("stage", "one")
	waitFor(t, 5*time.Second, func() bool { return strings.Contains(readState(), `"stage":"one"`) }, "scope saved")
	c.Scope().SetTag("stage", "two")
	c.Scope().AddBreadcrumb(raven.Breadcrumb{Message: "last step"})
	waitFor(t, 5*time.Second, func() bool { return strings.Contains(readState(), `"stage":"two"`) }, "scope saved again")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, c.Close(ctx))

	// Pretend the process died in a crash: give its files the pid of a
	// process that no longer runs and real crash output.
	crashes, err := filepath.Glob(filepath.Join(dir, "crash-*.crash"))
	require.NoError(t, err)
	require.Len(t, crashes, 1)
	out, err := os.ReadFile(filepath.Join("internal", "crashparse", "testdata", "crash", "setcrashoutput-nil-map.txt"))
	require.NoError(t, err)
	dead := exec.Command("true")
	require.NoError(t, dead.Run())
	base := filepath.Join(dir, "crash-"+strconv.Itoa(dead.Process.Pid)+"-0000")
	require.NoError(t, os.WriteFile(base+".crash", out, 0o600))
	require.NoError(t, os.Rename(state, base+".state.json"))
	require.NoError(t, os.Remove(crashes[0]))

	next, err := raven.New(raven.WithDSN(srv.DSN()), raven.WithOutbox(dir, fastBackoff()))
	require.NoError(t, err)
	evs, err := srv.WaitForEvents(ctx, 1)
	require.NoError(t, err)
	require.NoError(t, next.Close(ctx))
	ev := evs[0]
	assert.Equal(t, raven.LevelFatal, ev.Level)
	assert.Equal(t, "r9", ev.Release)
	assert.Equal(t, "two", ev.Tags["stage"])
	assert.True(t, hasBreadcrumb(ev, "last step"))
	assert.Equal(t, "assignment to entry in nil map", ev.Exception.Values[0].Value)
	left, _ := filepath.Glob(filepath.Join(dir, "crash-*"))
	assert.Empty(t, left)
}
