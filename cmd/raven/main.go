// Command raven reports events to a Sentry-compatible server from the
// shell.
//
// Usage:
//
//	raven send-event -m MESSAGE [--level LEVEL] [--tag KEY=VALUE]... [--dsn DSN]
//	raven run [--tag KEY=VALUE]... [--dsn DSN] -- COMMAND [ARG]...
//	raven outbox flush [--dsn DSN] DIR
//
// send-event sends one message event and prints its id.
//
// run runs COMMAND with its standard input, output and error passed
// through. When COMMAND exits with a non-zero status, raven reports it: a
// Go crash found on its standard error (a panic or fatal error) becomes a
// fatal event with the crashing goroutine's stack and every goroutine as a
// thread; any other failure becomes an error event naming the command, its
// exit status and the end of its standard error. raven then exits with
// COMMAND's exit status. Reporting never stops the command: with no DSN,
// or one that does not parse, raven says so on its standard error and runs
// COMMAND all the same, reporting nothing.
//
// outbox flush sends the envelopes a program stored in its outbox directory
// (raven.WithOutbox) to the DSN, only those written for that DSN (the same
// public key and project). It prints what it delivered, dropped and left,
// and exits 1 when it could not take every file: files claimed by a
// program that still runs, written for another DSN, or unreadable (moved
// to the directory's quarantine subdirectory).
//
// The DSN comes from --dsn or the SENTRY_DSN environment variable;
// SENTRY_RELEASE and SENTRY_ENVIRONMENT are read too.
//
// Exit codes:
//
//	0    success
//	1    the event could not be delivered (send-event, outbox flush), or
//	     outbox flush left files it could not take
//	2    usage error: unknown command, bad flag, missing DSN or message
//	     (raven run: a bad flag or no command only)
//	N    raven run: COMMAND's own exit status (128+signal when killed by a
//	     signal; 127 when it could not be started)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/ravenkit/raven"
)

const (
	exitOK       = 0
	exitFailed   = 1
	exitUsage    = 2
	exitNotFound = 127
)

const usage = `raven reports events to a Sentry-compatible server.

Usage:
  raven send-event -m MESSAGE [--level LEVEL] [--tag KEY=VALUE]... [--dsn DSN]
  raven run [--tag KEY=VALUE]... [--dsn DSN] -- COMMAND [ARG]...
  raven outbox flush [--dsn DSN] DIR

Run "raven COMMAND --help" for a command's flags.
The DSN comes from --dsn or $SENTRY_DSN.

Exit codes: 0 success; 1 event not delivered; 2 usage error;
raven run exits with COMMAND's exit status (128+N when killed by signal N,
127 if it could not start).
`

const exitCodesHelp = `
Exit codes: 0 success; 1 event not delivered; 2 usage error;
raven run exits with COMMAND's exit status (128+N when killed by signal N,
127 if it could not start).
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "send-event":
		return sendEvent(args[1:], stdout, stderr)
	case "run":
		return runCommand(args[1:], stdin, stdout, stderr)
	case "outbox":
		if len(args) < 2 || args[1] != "flush" {
			if len(args) >= 2 && (args[1] == "-h" || args[1] == "--help" || args[1] == "help") {
				fmt.Fprint(stdout, "Usage: raven outbox flush [--dsn DSN] DIR\n"+exitCodesHelp)
				return exitOK
			}
			fmt.Fprintln(stderr, "raven: outbox: expected \"flush\"; usage: raven outbox flush [--dsn DSN] DIR")
			return exitUsage
		}
		return outboxFlush(args[2:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "raven: unknown command %q\n\n%s", args[0], usage)
	return exitUsage
}

// tagFlag collects repeated --tag key=value flags.
type tagFlag map[string]string

func (t tagFlag) String() string { return "" }

func (t tagFlag) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("tag %q is not KEY=VALUE", v)
	}
	t[k] = val
	return nil
}

// newFlagSet returns a flag set printing its help to stdout on --help and
// errors to stderr.
func newFlagSet(name, synopsis string, stdout, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
		fmt.Fprint(fs.Output(), exitCodesHelp)
	}
	return fs
}

// parseFlags parses args; done is true when the command must return code.
func parseFlags(fs *flag.FlagSet, args []string, stdout io.Writer) (code int, done bool) {
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "-h" || a == "--help" || a == "-help" {
			fs.SetOutput(stdout)
			fs.Usage()
			return exitOK, true
		}
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage, true
	}
	return 0, false
}

func dsnOrEnv(dsn string) string {
	if dsn != "" {
		return dsn
	}
	return os.Getenv(raven.EnvDSN)
}

func newClient(dsn string, tags map[string]string) (*raven.Client, error) {
	opts := []raven.Option{raven.WithDSN(dsn), raven.WithContextLines(0)}
	if len(tags) > 0 {
		opts = append(opts, raven.WithTags(tags))
	}
	c, err := raven.New(opts...)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// deliver captures ev and waits up to timeout for it to be delivered.
func deliver(c *raven.Client, ev *raven.Event, timeout time.Duration) (raven.EventID, error) {
	id := c.CaptureEvent(context.Background(), ev)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := c.Close(ctx)
	s := c.Stats()
	if s.Delivered >= 1 {
		return id, nil
	}
	if s.DroppedTotal() > 0 {
		return id, fmt.Errorf("event %s not delivered (%v)", id, s.Dropped)
	}
	if err == nil {
		err = errors.New("no answer from the server")
	}
	return id, fmt.Errorf("event %s not delivered: %w", id, err)
}

func sendEvent(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("send-event", "raven send-event -m MESSAGE [--level LEVEL] [--tag KEY=VALUE]... [--dsn DSN]", stdout, stderr)
	msg := fs.String("m", "", "the message to send (required)")
	fs.StringVar(msg, "message", "", "same as -m")
	level := fs.String("level", "info", "level: debug, info, warning, error or fatal")
	dsn := fs.String("dsn", "", "DSN to send to (default $SENTRY_DSN)")
	timeout := fs.Duration("timeout", 10*time.Second, "how long to try delivering")
	tags := tagFlag{}
	fs.Var(tags, "tag", "tag KEY=VALUE (repeatable)")
	if code, done := parseFlags(fs, args, stdout); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "raven send-event: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	if *msg == "" {
		fmt.Fprintln(stderr, "raven send-event: a message is required (-m MESSAGE)")
		return exitUsage
	}
	lv := raven.Level(*level)
	switch lv {
	case raven.LevelDebug, raven.LevelInfo, raven.LevelWarning, raven.LevelError, raven.LevelFatal:
	default:
		fmt.Fprintf(stderr, "raven send-event: unknown level %q (debug, info, warning, error, fatal)\n", *level)
		return exitUsage
	}
	d := dsnOrEnv(*dsn)
	if d == "" {
		fmt.Fprintln(stderr, "raven send-event: no DSN: use --dsn or set SENTRY_DSN")
		return exitUsage
	}
	c, err := newClient(d, tags)
	if err != nil {
		fmt.Fprintln(stderr, "raven send-event:", err)
		return exitUsage
	}
	ev := &raven.Event{Level: lv, Message: &raven.LogEntry{Formatted: *msg}}
	id, err := deliver(c, ev, *timeout)
	if err != nil {
		fmt.Fprintln(stderr, "raven send-event:", err)
		return exitFailed
	}
	fmt.Fprintln(stdout, id)
	return exitOK
}

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

func runCommand(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("run", "raven run [--tag KEY=VALUE]... [--dsn DSN] -- COMMAND [ARG]...", stdout, stderr)
	dsn := fs.String("dsn", "", "DSN to send to (default $SENTRY_DSN)")
	timeout := fs.Duration("timeout", 10*time.Second, "how long to try delivering a report")
	tags := tagFlag{}
	fs.Var(tags, "tag", "tag KEY=VALUE (repeatable)")
	if code, done := parseFlags(fs, args, stdout); done {
		return code
	}
	argv := fs.Args()
	if len(argv) == 0 {
		fmt.Fprintln(stderr, "raven run: no command given; usage: raven run [flags] -- COMMAND [ARG]...")
		return exitUsage
	}
	// A job must not stop running because its error reporting is not
	// configured: without a usable DSN the command runs unwatched.
	var c *raven.Client
	if d := dsnOrEnv(*dsn); d == "" {
		fmt.Fprintln(stderr, "raven run: no DSN (use --dsn or set SENTRY_DSN): running the command without reporting")
	} else if cl, err := newClient(d, tags); err != nil {
		fmt.Fprintf(stderr, "raven run: %v: running the command without reporting\n", err)
	} else {
		c = cl
	}
	closeClient := func() {
		if c != nil {
			_ = c.Close(context.Background())
		}
	}

	tail := &tailBuffer{max: raven.MaxCrashOutputBytes}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, io.MultiWriter(stderr, tail)
	// The child gets terminal signals itself; raven stays alive to report.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(stderr, "raven run:", err)
		closeClient()
		return exitNotFound
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-sigs:
				if s == syscall.SIGTERM || s == syscall.SIGHUP {
					_ = cmd.Process.Signal(s)
				}
			case <-done:
				return
			}
		}
	}()
	werr := cmd.Wait()
	close(done)
	code, desc := exitStatus(cmd.ProcessState, werr)
	if code == 0 || c == nil {
		closeClient()
		return code
	}

	command := strings.Join(argv, " ")
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
	if ev.Extra == nil {
		ev.Extra = map[string]any{}
	}
	ev.Extra["command"] = command
	ev.Extra["exit_status"] = code
	ev.Tags = map[string]string{"command": argv[0]}
	if _, err := deliver(c, ev, *timeout); err != nil {
		fmt.Fprintln(stderr, "raven run: reporting the failure:", err)
	}
	return code
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

func outboxFlush(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("outbox flush", "raven outbox flush [--dsn DSN] DIR", stdout, stderr)
	dsn := fs.String("dsn", "", "send the envelopes written for this DSN (default $SENTRY_DSN)")
	timeout := fs.Duration("timeout", 30*time.Second, "how long to keep sending")
	if code, done := parseFlags(fs, args, stdout); done {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "raven outbox flush: expected one directory; usage: raven outbox flush [--dsn DSN] DIR")
		return exitUsage
	}
	d := dsnOrEnv(*dsn)
	if d == "" {
		fmt.Fprintln(stderr, "raven outbox flush: no DSN: give --dsn or set "+raven.EnvDSN+"; only envelopes written for it are sent")
		return exitUsage
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	res, err := raven.FlushOutbox(ctx, fs.Arg(0), d)
	fmt.Fprintf(stdout, "delivered %d events, dropped %d, %d envelopes left\n", res.Delivered, res.Dropped, res.Left)
	if res.Busy > 0 {
		fmt.Fprintf(stdout, "%d envelopes claimed by a running process, not taken\n", res.Busy)
	}
	if res.SetAside > 0 {
		fmt.Fprintf(stdout, "%d files set aside: written for another DSN, or unreadable (see %s)\n",
			res.SetAside, filepath.Join(fs.Arg(0), "quarantine"))
	}
	if err != nil {
		fmt.Fprintln(stderr, "raven outbox flush:", err)
		return exitFailed
	}
	return exitOK
}
