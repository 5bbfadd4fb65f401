package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/internal/schematest"
	"github.com/ravenkit/raven/raventest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

var (
	ravenBin   string // this command, built once
	crasherBin string // internal/testprog/crasher
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "raven-cli-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ravenBin, crasherBin = filepath.Join(dir, "raven"), filepath.Join(dir, "crasher")
	for bin, pkg := range map[string]string{ravenBin: "./", crasherBin: "../../internal/testprog/crasher"} {
		if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building %s: %v\n%s", pkg, err, out)
			os.RemoveAll(dir)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "leaked goroutines:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// events returns what srv received, each validated against the event schema.
func events(t *testing.T, srv *raventest.Server) []*raven.Event {
	t.Helper()
	for _, p := range srv.RawEvents() {
		schematest.Check(t, p)
	}
	return srv.Events()
}

// cli runs the built command.
func cli(t *testing.T, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(ravenBin, args...)
	cmd.Env = append(os.Environ(), "SENTRY_DSN=")
	cmd.Env = append(cmd.Env, env...)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), so.String(), se.String()
	}
	require.NoError(t, err)
	return 0, so.String(), se.String()
}

func TestRunReportsExitStatus(t *testing.T) {
	r := raventest.NewServer(t)
	code, stdout, stderr := cli(t, []string{"SENTRY_DSN=" + r.DSN()}, "run", "--tag", "job=nightly", "--",
		"sh", "-c", "echo out; echo oops >&2; exit 3")
	assert.Equal(t, 3, code)
	assert.Equal(t, "out\n", stdout, "stdout passes through")
	assert.Equal(t, "oops\n", stderr, "stderr passes through")
	evs := events(t, r)
	require.Len(t, evs, 1)
	ev := evs[0]
	assert.Equal(t, raven.LevelError, ev.Level)
	require.NotNil(t, ev.Message)
	assert.Equal(t, "sh: exited with status 3", ev.Message.Formatted)
	assert.EqualValues(t, 3, ev.Extra["exit_status"])
	assert.Equal(t, "oops\n", ev.Extra["stderr"])
	assert.Equal(t, "nightly", ev.Tags["job"])
	assert.Equal(t, "sh", ev.Tags["command"])
}

func TestRunReportsGoCrash(t *testing.T) {
	r := raventest.NewServer(t)
	code, _, stderr := cli(t, []string{"GOTRACEBACK=all"}, "run", "--dsn", r.DSN(), "--", crasherBin, "goroutine-panic")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "panic: boom in goroutine")
	evs := events(t, r)
	require.Len(t, evs, 1)
	ev := evs[0]
	assert.Equal(t, raven.LevelFatal, ev.Level)
	require.NotNil(t, ev.Exception)
	exc := ev.Exception.Values[0]
	assert.Equal(t, "panic", exc.Type)
	assert.Equal(t, "boom in goroutine", exc.Value)
	frames := exc.Stacktrace.Frames
	top := frames[len(frames)-1]
	assert.Equal(t, "doPanic", top.Function)
	assert.Equal(t, "main", top.Module)
	assert.True(t, strings.HasSuffix(top.AbsPath, "internal/testprog/crasher/main.go"))
	assert.Equal(t, "worker", frames[0].Function)
	assert.Greater(t, len(ev.Threads.Values), 1)
	assert.EqualValues(t, 2, ev.Extra["exit_status"])
}

func TestRunSuccessReportsNothing(t *testing.T) {
	r := raventest.NewServer(t)
	code, stdout, _ := cli(t, nil, "run", "--dsn", r.DSN(), "--", "sh", "-c", "echo fine")
	assert.Equal(t, 0, code)
	assert.Equal(t, "fine\n", stdout)
	assert.Empty(t, events(t, r))
}

func TestRunStdinAndSignalStatus(t *testing.T) {
	r := raventest.NewServer(t)
	cmd := exec.Command(ravenBin, "run", "--dsn", r.DSN(), "--", "sh", "-c", "read x; echo got $x; kill -TERM $$")
	cmd.Stdin = strings.NewReader("hello\n")
	out, err := cmd.Output()
	var ee *exec.ExitError
	require.True(t, errors.As(err, &ee), "%v", err)
	assert.Equal(t, 128+15, ee.ExitCode())
	assert.Equal(t, "got hello\n", string(out))
	evs := events(t, r)
	require.Len(t, evs, 1)
	assert.Equal(t, "sh: killed by signal terminated", evs[0].Message.Formatted)
}

func TestSendEvent(t *testing.T) {
	r := raventest.NewServer(t)
	code, stdout, stderr := cli(t, []string{"SENTRY_DSN=" + r.DSN()}, "send-event", "-m", "backup failed",
		"--level", "error", "--tag", "k=v", "--tag", "host=db1")
	require.Equal(t, 0, code, stderr)
	evs := events(t, r)
	require.Len(t, evs, 1)
	ev := evs[0]
	assert.Equal(t, strings.TrimSpace(stdout), string(ev.EventID))
	assert.Equal(t, "backup failed", ev.Message.Formatted)
	assert.Equal(t, raven.LevelError, ev.Level)
	assert.Equal(t, map[string]string{"k": "v", "host": "db1"}, ev.Tags)
}

func TestSendEventServerDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	l.Close()
	code, _, stderr := cli(t, nil, "send-event", "-m", "x", "--dsn", "http://k@"+addr+"/1", "--timeout", "5s")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "not delivered (network_error): ")
	assert.Contains(t, stderr, "connection refused")
	assert.NotContains(t, stderr, "map[", "no Go map")
	assert.Equal(t, 1, strings.Count(stderr, "network_error"), "said once: %s", stderr)
}

func TestSendEventFlags(t *testing.T) {
	r := raventest.NewServer(t)
	code, stdout, stderr := cli(t, []string{"SENTRY_RELEASE=from-env"}, "send-event", "--message", "deploy done",
		"--release", "shop@1.2.3", "--environment", "staging", "--tag", "host=db1", "--tag", "team=ops", "--level", "warning",
		"--dsn", r.DSN())
	require.Equal(t, 0, code, stderr)
	evs := events(t, r)
	require.Len(t, evs, 1)
	ev := evs[0]
	assert.Equal(t, strings.TrimSpace(stdout), string(ev.EventID))
	assert.Equal(t, "deploy done", ev.Message.Formatted)
	assert.Equal(t, "shop@1.2.3", ev.Release, "the flag wins over SENTRY_RELEASE")
	assert.Equal(t, "staging", ev.Environment)
	assert.Equal(t, raven.LevelWarning, ev.Level)
	assert.Equal(t, map[string]string{"host": "db1", "team": "ops"}, ev.Tags)
}

func TestRunCommandThatCannotStart(t *testing.T) {
	notExec := filepath.Join(t.TempDir(), "script")
	require.NoError(t, os.WriteFile(notExec, []byte("#!/bin/sh\necho hi\n"), 0o644))
	tests := []struct {
		name, prog string
		code       int
		why        string
	}{
		{"missing", "/nonexistent", 127, "no such file or directory"},
		{"not in PATH", "no-such-program-anywhere", 127, "executable file not found in $PATH"},
		{"not executable", notExec, 126, "permission denied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := raventest.NewServer(t)
			code, _, stderr := cli(t, nil, "run", "--dsn", r.DSN(), "--release", "job@1", "--", tt.prog, "arg")
			assert.Equal(t, tt.code, code)
			want := tt.prog + " could not start: " + tt.why
			assert.Equal(t, "raven run: "+want+"\n", stderr)
			evs := events(t, r)
			require.Len(t, evs, 1, "the failure to start is reported")
			assert.Equal(t, want, evs[0].Message.Formatted)
			assert.Equal(t, "job@1", evs[0].Release)
			assert.EqualValues(t, tt.code, evs[0].Extra["exit_status"])
			assert.Equal(t, tt.prog+" arg", evs[0].Extra["command"])
		})
	}
}

func TestOutboxFlush(t *testing.T) {
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	l.Close()
	c, err := raven.New(raven.WithDSN("http://public@"+addr+"/42"), raven.WithOutbox(dir, raven.WithOutboxBackoff(time.Hour, time.Hour)))
	require.NoError(t, err)
	ids := map[string]bool{}
	for i := 0; i < 3; i++ {
		ids[string(c.CaptureMessage("stored"))] = true
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, c.Close(ctx))

	r := raventest.NewServer(t, raventest.WithKey("public"))
	code, _, stderr := cli(t, nil, "outbox", "flush", dir)
	assert.Equal(t, 2, code, "no DSN")
	assert.Contains(t, stderr, "no DSN")

	// a file planted for another DSN is not sent, and reported
	other := &raven.Envelope{Header: raven.EnvelopeHeader{EventID: raven.NewEventID(), DSN: "http://attacker@127.0.0.1:1/42"},
		Items: []raven.EnvelopeItem{{Type: raven.ItemEvent, Payload: []byte(`{"message":"planted"}`), Events: 1}}}
	b, err := other.Bytes()
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "00000000000000000001-1-planted.env"), b, 0o600))

	code, stdout, stderr := cli(t, []string{"SENTRY_DSN=" + r.DSN()}, "outbox", "flush", dir)
	require.Equal(t, 1, code, "a file was left: %s", stderr)
	assert.Equal(t, "delivered 3 events, dropped 0, 1 envelopes left\n"+
		"1 files set aside: written for another DSN, or unreadable (see "+filepath.Join(dir, "quarantine")+")\n", stdout)
	assert.Contains(t, stderr, "1 set aside")
	got := map[string]bool{}
	for _, ev := range events(t, r) {
		got[string(ev.EventID)] = true
	}
	assert.Equal(t, ids, got)

	code, _, _ = cli(t, nil, "outbox", "flush", "--dsn", r.DSN(), filepath.Join(dir, "missing"))
	assert.Equal(t, 1, code)
}

func TestUsage(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string // substring
		stderr string // substring
	}{
		{"no args", nil, 2, "", "Usage:"},
		{"help", []string{"--help"}, 0, "Exit codes", ""},
		{"unknown command", []string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{"send-event help", []string{"send-event", "--help"}, 0, "-level", ""},
		{"send-event no message", []string{"send-event", "--dsn", "http://k@h/1"}, 2, "", "message is required"},
		{"send-event no dsn", []string{"send-event", "-m", "x"}, 2, "", "no DSN"},
		{"send-event bad dsn", []string{"send-event", "-m", "x", "--dsn", "nope"}, 2, "", "DSN"},
		{"send-event bad level", []string{"send-event", "-m", "x", "--level", "loud", "--dsn", "http://k@h/1"}, 2, "", "unknown level"},
		{"send-event bad tag", []string{"send-event", "-m", "x", "--tag", "novalue"}, 2, "", "KEY=VALUE"},
		{"send-event bad flag", []string{"send-event", "--bogus"}, 2, "", "bogus"},
		{"run help", []string{"run", "--help"}, 0, "Exit codes", ""},
		{"run no command", []string{"run", "--dsn", "http://k@h/1"}, 2, "", "no command"},
		// reporting never stops the command: it runs, and its status is raven's
		{"run no dsn", []string{"run", "--", "sh", "-c", "echo ran; exit 3"}, 3, "ran", "no DSN"},
		{"run bad dsn", []string{"run", "--dsn", "nope", "--", "sh", "-c", "echo ran"}, 0, "ran", "DSN"},
		{"run no dsn missing program", []string{"run", "--", "/nonexistent/prog"}, 127, "", "/nonexistent/prog"},
		{"run missing program", []string{"run", "--dsn", "http://k@127.0.0.1:1/1", "--", "/nonexistent/prog"}, 127, "", "/nonexistent/prog"},
		{"outbox help", []string{"outbox", "--help"}, 0, "outbox flush", ""},
		{"outbox flush help", []string{"outbox", "flush", "--help"}, 0, "-dsn", ""},
		{"outbox no subcommand", []string{"outbox"}, 2, "", "flush"},
		{"outbox flush no dir", []string{"outbox", "flush"}, 2, "", "one directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var so, se bytes.Buffer
			t.Setenv("SENTRY_DSN", "")
			code := run(tt.args, strings.NewReader(""), &so, &se)
			assert.Equal(t, tt.code, code, "stdout %q stderr %q", so.String(), se.String())
			assert.Contains(t, so.String(), tt.stdout)
			assert.Contains(t, se.String(), tt.stderr)
		})
	}
}
