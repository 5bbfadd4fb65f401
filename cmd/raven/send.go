package main

import (
	"fmt"
	"io"
	"time"

	"github.com/ravenkit/raven"
)

const sendSynopsis = "raven send-event --message MESSAGE [--level LEVEL] [--tag KEY=VALUE]... [--release RELEASE] [--environment ENVIRONMENT] [--dsn DSN]"

func sendEvent(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("send-event", sendSynopsis, stderr)
	msg := fs.String("message", "", "the `MESSAGE` to send (required)")
	fs.StringVar(msg, "m", "", "same as --message `MESSAGE`")
	level := fs.String("level", "info", "`LEVEL`: debug, info, warning, error or fatal")
	ef := addEventFlags(fs, 10*time.Second)
	rest, code, done := fs.parse(args, true, stdout)
	if done {
		return code
	}
	fail := func(code int, format string, args ...any) int {
		fmt.Fprintf(stderr, "raven send-event: "+format+"\n", args...)
		return code
	}
	if len(rest) > 0 {
		return fail(exitUsage, "unexpected argument %q", rest[0])
	}
	if *msg == "" {
		return fail(exitUsage, "a message is required (--message MESSAGE)")
	}
	lv := raven.Level(*level)
	switch lv {
	case raven.LevelDebug, raven.LevelInfo, raven.LevelWarning, raven.LevelError, raven.LevelFatal:
	default:
		return fail(exitUsage, "unknown level %q (debug, info, warning, error, fatal)", *level)
	}
	d := dsnOrEnv(*ef.dsn)
	if d == "" {
		return fail(exitUsage, "no DSN: use --dsn or set %s", raven.EnvDSN)
	}
	drops := &dropLog{}
	c, err := ef.client(d, drops)
	if err != nil {
		return fail(exitUsage, "%s", errText(err))
	}
	id, err := deliver(c, drops, &raven.Event{Level: lv, Message: &raven.LogEntry{Formatted: *msg}}, *ef.timeout)
	if err != nil {
		return fail(exitFailed, "%s", errText(err))
	}
	fmt.Fprintln(stdout, id)
	return exitOK
}
