package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/ravenkit/raven"
)

const outboxSynopsis = "raven outbox flush DIR [--dsn DSN] [--timeout DURATION]"

func outbox(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "flush" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help" || args[0] == "help") {
			fmt.Fprint(stdout, "Usage: "+outboxSynopsis+"\n"+exitCodesHelp)
			return exitOK
		}
		fmt.Fprintln(stderr, "raven outbox: expected \"flush\"; usage: "+outboxSynopsis)
		return exitUsage
	}
	return outboxFlush(args[1:], stdout, stderr)
}

func outboxFlush(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("outbox flush", outboxSynopsis, stderr)
	dsn := fs.String("dsn", "", "send the envelopes written for this `DSN` (default $SENTRY_DSN)")
	timeout := fs.Duration("timeout", 30*time.Second, "how long to keep sending, a `DURATION`")
	rest, code, done := fs.parse(args, true, stdout)
	if done {
		return code
	}
	if len(rest) != 1 {
		fmt.Fprintln(stderr, "raven outbox flush: expected one directory; usage: "+outboxSynopsis)
		return exitUsage
	}
	d := dsnOrEnv(*dsn)
	if d == "" {
		fmt.Fprintln(stderr, "raven outbox flush: no DSN: use --dsn or set "+raven.EnvDSN+"; only envelopes written for it are sent")
		return exitUsage
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	res, err := raven.FlushOutbox(ctx, rest[0], d)
	fmt.Fprintf(stdout, "delivered %d events, dropped %d, %d envelopes left\n", res.Delivered, res.Dropped, res.Left)
	if res.Busy > 0 {
		fmt.Fprintf(stdout, "%d envelopes claimed by a running process, not taken\n", res.Busy)
	}
	if res.SetAside > 0 {
		fmt.Fprintf(stdout, "%d files set aside: written for another DSN, or unreadable (see %s)\n",
			res.SetAside, filepath.Join(rest[0], "quarantine"))
	}
	if err != nil {
		fmt.Fprintln(stderr, "raven outbox flush:", errText(err))
		return exitFailed
	}
	return exitOK
}
