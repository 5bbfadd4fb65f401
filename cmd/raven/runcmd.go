package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/ravenkit/raven"
)

const runSynopsis = "raven run [--tag KEY=VALUE]... [--release RELEASE] [--environment ENVIRONMENT] [--dsn DSN] [--] COMMAND [ARG]..."

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	buf []byte
	max int
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if len(p) >= t.max {
		t.buf = append(t.buf[:0], p[len(p)-t.max:]...)
		return n, nil
	}
	if over := len(t.buf) + len(p) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	t.buf = append(t.buf, p...)
	return n, nil
}

const stderrTailBytes = 4 << 10

// watcher reports a command's failure; its zero value (no DSN) reports
// nothing.
type watcher struct {
	c       *raven.Client
	drops   *dropLog
	timeout time.Duration
	argv    []string
	stderr  io.Writer
}

// report sends ev for the command that ended with code, then closes the
// client.
func (w *watcher) report(ev *raven.Event, code int) {
	if w.c == nil {
		return
	}
	if ev == nil {
		_ = w.c.Close(context.Background())
		return
	}
	if ev.Extra == nil {
		ev.Extra = map[string]any{}
	}
	ev.Extra["command"] = strings.Join(w.argv, " ")
	ev.Extra["exit_status"] = code
	ev.Tags = map[string]string{"command": w.argv[0]}
	if _, err := deliver(w.c, w.drops, ev, w.timeout); err != nil {
		fmt.Fprintln(w.stderr, "raven run: reporting the failure:", errText(err))
	}
}

func runCommand(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fset := newFlagSet("run", runSynopsis, stderr)
	ef := addEventFlags(fset, 10*time.Second)
	argv, code, done := fset.parse(args, false, stdout)
	if done {
		return code
	}
	if len(argv) == 0 {
		fmt.Fprintln(stderr, "raven run: no command given; usage: "+runSynopsis)
		return exitUsage
	}
	// A job must not stop running because its error reporting is not
	// configured: without a usable DSN the command runs unwatched.
	w := &watcher{drops: &dropLog{}, timeout: *ef.timeout, argv: argv, stderr: stderr}
	if d := dsnOrEnv(*ef.dsn); d == "" {
		fmt.Fprintf(stderr, "raven run: no DSN (use --dsn or set %s): running the command without reporting\n", raven.EnvDSN)
	} else if c, err := ef.client(d, w.drops); err != nil {
		fmt.Fprintf(stderr, "raven run: %s: running the command without reporting\n", errText(err))
	} else {
		w.c = c
	}

	tail := &tailBuffer{max: raven.MaxCrashOutputBytes}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, io.MultiWriter(stderr, tail)
	// The child gets terminal signals itself; raven stays alive to report.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		code, why := startFailure(err)
		fmt.Fprintf(stderr, "raven run: %s could not start: %s\n", argv[0], why)
		w.report(&raven.Event{Level: raven.LevelError,
			Message: &raven.LogEntry{Formatted: fmt.Sprintf("%s could not start: %s", argv[0], why)}}, code)
		return code
	}
	finished := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-sigs:
				if s == syscall.SIGTERM || s == syscall.SIGHUP {
					_ = cmd.Process.Signal(s)
				}
			case <-finished:
				return
			}
		}
	}()
	werr := cmd.Wait()
	close(finished)
	code, desc := exitStatus(cmd.ProcessState, werr)
	if code == 0 || w.c == nil {
		w.report(nil, code)
		return code
	}
	ev, perr := raven.ParseCrash(tail.buf)
	if perr != nil {
		out := tail.buf
		if len(out) > stderrTailBytes {
			out = out[len(out)-stderrTailBytes:]
		}
		ev = &raven.Event{Level: raven.LevelError,
			Message: &raven.LogEntry{Formatted: fmt.Sprintf("%s: %s", argv[0], desc)},
			Extra:   map[string]any{"stderr": string(out)}}
	}
	w.report(ev, code)
	return code
}

// startFailure gives the shell's exit code for a command that could not
// start (127 not found, 126 found but not runnable) and why, in words.
func startFailure(err error) (int, string) {
	code := exitNotExecutable
	if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
		code = exitNotFound
	}
	var pe *fs.PathError
	var ee *exec.Error
	switch {
	case errors.As(err, &ee):
		return code, ee.Err.Error()
	case errors.As(err, &pe):
		return code, pe.Err.Error()
	}
	return code, err.Error()
}

// exitStatus gives the shell-style exit code and a description.
func exitStatus(ps *os.ProcessState, werr error) (int, string) {
	if ps == nil {
		return exitFailed, fmt.Sprint(werr)
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal()), "killed by signal " + ws.Signal().String()
	}
	code := ps.ExitCode()
	return code, fmt.Sprintf("exited with status %d", code)
}
