// Command raven reports events to a Sentry-compatible server from the
// shell, and receives them during development.
//
// Usage:
//
//	raven send-event --message MESSAGE [--level LEVEL] [--tag KEY=VALUE]... [--release R] [--environment E] [--dsn DSN]
//	raven run [--tag KEY=VALUE]... [--release R] [--environment E] [--dsn DSN] [--] COMMAND [ARG]...
//	raven outbox flush DIR [--dsn DSN] [--timeout D]
//	raven listen [--addr 127.0.0.1:PORT]
//	raven --version
//
// Flags may come before or after the other arguments, but for run, where
// everything from COMMAND on belongs to the command.
//
// send-event sends one message event and prints its id.
//
// run runs COMMAND with its standard input, output and error passed
// through. When COMMAND exits with a non-zero status, raven reports it: a
// Go crash found on its standard error (a panic or fatal error) becomes a
// fatal event with the crashing goroutine's stack and every goroutine as a
// thread; any other failure becomes an error event naming the command, its
// exit status and the end of its standard error; a command that cannot
// start is reported too. raven then exits with COMMAND's exit status.
// Reporting never stops the command: with no DSN, or one that does not
// parse, raven says so on its standard error and runs COMMAND all the
// same, reporting nothing.
//
// outbox flush sends the envelopes a program stored in its outbox directory
// (raven.WithOutbox) to the DSN, only those written for that DSN (the same
// public key and project). It prints what it delivered, dropped and left,
// and exits 1 when it could not take every file: files claimed by a
// program that still runs, written for another DSN, or unreadable (moved
// to the directory's quarantine subdirectory).
//
// listen runs a Sentry-compatible receiver on a local address and prints
// every event it receives (level, message, exceptions with their in-app
// frames and source lines, breadcrumbs, tags, user, request). It prints
// the DSN to give any SDK, in any language, and runs until interrupted.
//
// The DSN comes from --dsn or the SENTRY_DSN environment variable;
// SENTRY_RELEASE and SENTRY_ENVIRONMENT are read too.
//
// Exit codes:
//
//	0    success
//	1    the event could not be delivered (send-event, outbox flush), or
//	     outbox flush left files it could not take, or listen could not
//	     listen
//	2    usage error: unknown command, bad flag, missing DSN or message
//	     (raven run: a bad flag or no command only)
//	N    raven run: COMMAND's own exit status (128+signal when killed by a
//	     signal; 126 when it could not be run, 127 when it was not found)
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/ravenkit/raven"
)

const (
	exitOK            = 0
	exitFailed        = 1
	exitUsage         = 2
	exitNotExecutable = 126
	exitNotFound      = 127
)

const usage = `raven reports events to a Sentry-compatible server.

Usage:
  raven send-event --message MESSAGE [--level LEVEL] [--tag KEY=VALUE]... [--dsn DSN]
  raven run [--tag KEY=VALUE]... [--dsn DSN] [--] COMMAND [ARG]...
  raven outbox flush DIR [--dsn DSN] [--timeout DURATION]
  raven listen [--addr 127.0.0.1:PORT]
  raven --version

Run "raven COMMAND --help" for a command's flags.
The DSN comes from --dsn or $SENTRY_DSN.
` + exitCodesHelp

const exitCodesHelp = `
Exit codes: 0 success; 1 event not delivered; 2 usage error;
raven run exits with COMMAND's exit status (128+N when killed by signal N,
126 if it could not be run, 127 if it was not found).
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
		return outbox(args[1:], stdout, stderr)
	case "listen":
		return listen(args[1:], stdout, stderr)
	case "-h", "--help", "-help", "help":
		fmt.Fprint(stdout, usage)
		return exitOK
	case "--version", "-version", "version":
		fmt.Fprintf(stdout, "raven %s\n", raven.SDKVersion)
		return exitOK
	}
	fmt.Fprintf(stderr, "raven: unknown command %q\n\n%s", args[0], usage)
	return exitUsage
}

// errText is err's message without the "raven: " its own packages put
// first: the command names itself once.
func errText(err error) string {
	return strings.TrimPrefix(err.Error(), "raven: ")
}

func dsnOrEnv(dsn string) string {
	if dsn != "" {
		return dsn
	}
	return os.Getenv(raven.EnvDSN)
}

// eventFlags are the flags of the commands that send an event.
type eventFlags struct {
	dsn, release, environment *string
	timeout                   *time.Duration
	tags                      tagFlag
}

func addEventFlags(fs *commandFlags, timeout time.Duration) *eventFlags {
	f := &eventFlags{tags: tagFlag{}}
	f.dsn = fs.String("dsn", "", "`DSN` to send to (default $SENTRY_DSN)")
	f.release = fs.String("release", "", "`RELEASE` of the event (default $SENTRY_RELEASE)")
	f.environment = fs.String("environment", "", "`ENVIRONMENT` of the event (default $SENTRY_ENVIRONMENT)")
	f.timeout = fs.Duration("timeout", timeout, "how long to try delivering, a `DURATION`")
	fs.Var(f.tags, "tag", "tag `KEY=VALUE` (repeatable)")
	return f
}

// client returns a client sending to dsn with the flags' release,
// environment and tags. drops receives each event the client discards.
func (f *eventFlags) client(dsn string, drops *dropLog) (*raven.Client, error) {
	opts := []raven.Option{raven.WithDSN(dsn), raven.WithContextLines(0), raven.WithOnDrop(drops.add)}
	if len(f.tags) > 0 {
		opts = append(opts, raven.WithTags(f.tags))
	}
	if *f.release != "" {
		opts = append(opts, raven.WithRelease(*f.release))
	}
	if *f.environment != "" {
		opts = append(opts, raven.WithEnvironment(*f.environment))
	}
	return raven.New(opts...)
}

// dropLog remembers why events were discarded, to say it in words.
type dropLog struct {
	reasons []string
	last    error
}

func (d *dropLog) add(dr raven.Drop) {
	if !slices.Contains(d.reasons, string(dr.Reason)) {
		d.reasons = append(d.reasons, string(dr.Reason))
	}
	if dr.Err != nil {
		d.last = dr.Err
	}
}

// deliver captures ev and waits up to timeout for it to be delivered.
func deliver(c *raven.Client, drops *dropLog, ev *raven.Event, timeout time.Duration) (raven.EventID, error) {
	id := c.CaptureEvent(context.Background(), ev)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := c.Close(ctx)
	if s := c.Stats(); s.Delivered >= 1 {
		return id, nil
	} else if s.DroppedTotal() > 0 {
		why := ""
		if cause := drops.last; cause != nil {
			var de *raven.DropError
			if errors.As(cause, &de) && de.Err != nil {
				cause = de.Err // its reason is said already
			}
			why = ": " + errText(cause)
		}
		return id, fmt.Errorf("event %s not delivered (%s)%s", id, strings.Join(drops.reasons, ", "), why)
	}
	if err == nil {
		err = errors.New("no answer from the server")
	}
	return id, fmt.Errorf("event %s not delivered: %w", id, err)
}
