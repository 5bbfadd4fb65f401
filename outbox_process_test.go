package raven_test

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/raventest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runBurst runs outboxapp: n captures against dsn with the outbox in dir,
// ended as ending says ("kill": SIGKILL 200 ms after the last capture;
// "exit", "exit-now": os.Exit without Close). It returns the captured ids.
func runBurst(t testing.TB, bin, dir, dsn string, n int, ending string) []string {
	t.Helper()
	cmd := exec.Command(bin, "burst", strconv.Itoa(n), ending)
	cmd.Env = append(os.Environ(), "SENTRY_DSN="+dsn, "RAVEN_TEST_OUTBOX="+dir)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	var ids []string
	sc := bufio.NewScanner(out)
	for sc.Scan() && sc.Text() != "captured" {
		ids = append(ids, sc.Text())
	}
	require.Len(t, ids, n, "stderr: %s", stderr.String())
	if ending == "kill" {
		time.Sleep(200 * time.Millisecond) // the scenario: killed 200 ms after the last capture
		require.NoError(t, cmd.Process.Kill())
	}
	_, _ = io.Copy(io.Discard, out)
	err = cmd.Wait()
	if ending == "kill" {
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee)
		assert.False(t, ee.Exited(), "killed by a signal")
	} else {
		require.NoError(t, err, "stderr: %s", stderr.String())
	}
	return ids
}

// restart starts a client on dir against srv, waits until the outbox
// holds nothing more to send, and closes it.
func restart(t testing.TB, dir string, srv *raventest.Server) raven.Stats {
	t.Helper()
	c, err := raven.New(raven.WithDSN(srv.DSN()), raven.WithOutbox(dir, fastBackoff()))
	require.NoError(t, err)
	waitFor(t, 30*time.Second, func() bool {
		st := c.Stats()
		return len(outboxFiles(t, dir)) == 0 && st.Stored == 0 && st.Pending == 0
	}, "outbox emptied")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, c.Close(ctx))
	return c.Stats()
}

// The outbox writes ahead: a process killed or exiting during an outage,
// shortly after its captures, leaves them on disk, and the next start
// delivers them, each once.
func TestOutboxWriteAheadSurvivesProcessEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a program")
	}
	bin := buildProg(t, t.TempDir(), "internal/testprog/outboxapp")
	const n = 500
	for _, ending := range []string{"kill", "exit"} {
		t.Run(ending, func(t *testing.T) {
			dir := t.TempDir()
			ids := runBurst(t, bin, dir, deadDSN(t), n, ending)
			onDisk := len(outboxFiles(t, dir))
			srv := publicServer(t)
			st := restart(t, dir, srv)
			evs := srv.Events()
			got := map[string]bool{}
			for _, ev := range evs {
				got[string(ev.EventID)] = true
			}
			for id := range got {
				assert.True(t, slices.Contains(ids, id), "unknown event %s", id)
			}
			t.Logf("%s: captured %d, on disk after the end %d, delivered after restart %d (%d distinct)",
				ending, n, onDisk, len(evs), len(got))
			assert.GreaterOrEqual(t, len(got), 495)
			assert.Len(t, evs, len(got), "no event delivered twice")
			assert.EqualValues(t, len(got), st.Restored)
			assert.EqualValues(t, len(got), st.Delivered)
			checkBalance(t, st)
		})
	}
}

// storeDown stores n events in dir through a client whose server is down,
// and closes it.
func storeDown(t *testing.T, dir string, n int) []string {
	t.Helper()
	c, err := raven.New(raven.WithDSN(deadDSN(t)), raven.WithTransport(downTransport{}),
		raven.WithOutbox(dir, raven.WithOutboxBackoff(time.Hour, time.Hour)))
	require.NoError(t, err)
	var ids []string
	for i := 0; i < n; i++ {
		ids = append(ids, string(c.CaptureMessage("stored")))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, c.Close(ctx))
	require.Equal(t, n, c.Stats().Stored)
	sort.Strings(ids)
	return ids
}

// A claim is an advisory lock held by the claiming process: while it runs
// the file is reported busy, never taken; once it is killed the next
// flush takes the file, whatever PIDs are involved. A claim file of an
// earlier version named with this very PID (a restarted container's
// PID 1) is taken too.
func TestOutboxClaimEndsWithItsProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a program")
	}
	bin := buildProg(t, t.TempDir(), "internal/testprog/outboxapp")
	srv := publicServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	t.Run("lock held by a live process", func(t *testing.T) {
		dir := t.TempDir()
		ids := storeDown(t, dir, 1)
		files := outboxFiles(t, dir)
		require.Len(t, files, 1)
		holder := exec.Command(bin, "hold", filepath.Join(dir, files[0]))
		out, err := holder.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, holder.Start())
		line, err := bufio.NewReader(out).ReadString('\n')
		require.NoError(t, err)
		require.Equal(t, "locked\n", line)

		res, err := raven.FlushOutbox(ctx, dir, srv.DSN())
		require.ErrorIs(t, err, raven.ErrOutboxIncomplete)
		assert.Contains(t, err.Error(), "1 claimed by a running process")
		assert.Equal(t, raven.OutboxResult{Left: 1, Busy: 1}, res)

		require.NoError(t, holder.Process.Kill())
		_ = holder.Wait()
		res, err = raven.FlushOutbox(ctx, dir, srv.DSN())
		require.NoError(t, err)
		assert.Equal(t, raven.OutboxResult{Delivered: 1}, res)
		assert.Contains(t, eventIDs(srv.Events()), ids[0])
	})

	t.Run("claim of an earlier version with this PID", func(t *testing.T) {
		dir := t.TempDir()
		ids := storeDown(t, dir, 1)
		files := outboxFiles(t, dir)
		require.Len(t, files, 1)
		claimed := files[0] + ".claim-" + strconv.Itoa(os.Getpid()) + "-0a0b0c0d"
		require.NoError(t, os.Rename(filepath.Join(dir, files[0]), filepath.Join(dir, claimed)))
		res, err := raven.FlushOutbox(ctx, dir, srv.DSN())
		require.NoError(t, err)
		assert.Equal(t, raven.OutboxResult{Delivered: 1}, res)
		assert.Contains(t, eventIDs(srv.Events()), ids[0])
		assert.Empty(t, outboxFiles(t, dir))
	})
}

// When another process sharing the directory sends the files a client
// stored, the client counts their events as taken over: its Stats still
// balance, and nothing stays Stored that is no longer on disk.
func TestOutboxFilesTakenOverByAnotherProcess(t *testing.T) {
	dir := t.TempDir()
	c, err := raven.New(raven.WithDSN(deadDSN(t)), raven.WithTransport(downTransport{}), raven.WithOutbox(dir, fastBackoff()))
	require.NoError(t, err)
	const n = 5
	for i := 0; i < n; i++ {
		c.CaptureMessage("stored here, sent by another")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, c.Flush(ctx))
	require.Equal(t, n, c.Stats().Stored)

	srv := publicServer(t)
	var res raven.OutboxResult
	waitFor(t, 5*time.Second, func() bool {
		r, _ := raven.FlushOutbox(ctx, dir, srv.DSN()) // files the client is retrying are busy a moment
		res.Delivered += r.Delivered
		return res.Delivered == n
	}, "another process delivered the files")
	waitFor(t, 5*time.Second, func() bool { return c.Stats().TakenOver == n }, "taken over counted")
	require.NoError(t, c.Close(ctx))
	st := c.Stats()
	assert.Zero(t, st.Stored)
	assert.Zero(t, st.Delivered)
	assert.EqualValues(t, n, st.TakenOver)
	checkBalance(t, st)
	assert.Len(t, srv.Events(), n)
}
