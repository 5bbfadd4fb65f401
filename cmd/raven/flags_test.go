package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/raventest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runIn runs the command in this process.
func runIn(args ...string) (code int, stdout, stderr string) {
	var so, se bytes.Buffer
	code = run(args, strings.NewReader(""), &so, &se)
	return code, so.String(), se.String()
}

func TestFlagsAfterArguments(t *testing.T) {
	r := raventest.NewServer(t, raventest.WithKey("public"))
	dir := t.TempDir()
	c, err := raven.New(raven.WithDSN(r.DSN()), raven.WithOutbox(dir), raven.WithTransport(raventest.NewTransport()))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, c.Close(ctx))

	code, stdout, stderr := runIn("outbox", "flush", dir, "--timeout", "3s", "--dsn", r.DSN())
	assert.Equal(t, 0, code, stderr)
	assert.Equal(t, "delivered 0 events, dropped 0, 0 envelopes left\n", stdout)

	code, _, stderr = runIn("outbox", "flush", dir, "--timeout", "nope", "--dsn", r.DSN())
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `invalid value "nope" for flag -timeout`)

	code, _, stderr = runIn("outbox", "flush", "--dsn", r.DSN(), "--", "--timeout")
	assert.Equal(t, 1, code, "after -- a directory named --timeout: %s", stderr)
}

func TestRunLeavesTheCommandsFlagsAlone(t *testing.T) {
	t.Setenv("SENTRY_DSN", "")
	code, stdout, stderr := runIn("run", "sh", "-c", `echo "$0 $1"`, "--help", "--dsn")
	assert.Equal(t, 0, code, stderr)
	assert.Equal(t, "--help --dsn\n", stdout, "flags after COMMAND are the command's")
}

// flagRE finds a flag in a synopsis or a help line.
var flagRE = regexp.MustCompile(`(?:^|[\s\[])(--?[a-z][a-z-]*)`)

func TestHelpSpellsFlagsAsTheUsageLines(t *testing.T) {
	for _, cmd := range [][]string{{"send-event"}, {"run"}, {"outbox", "flush"}, {"listen"}} {
		t.Run(strings.Join(cmd, " "), func(t *testing.T) {
			code, help, _ := runIn(append(cmd, "--help")...)
			require.Equal(t, 0, code)
			synopsis, flags, _ := strings.Cut(help, "\nFlags:\n")
			listed := map[string]bool{}
			for _, line := range strings.Split(flags, "\n") {
				if !strings.HasPrefix(line, "  -") {
					break
				}
				f := strings.Fields(line)[0]
				assert.Regexp(t, `^(--[a-z][a-z-]+|-[a-z])$`, f, "one dash for one letter, two for a word")
				listed[f] = true
			}
			for _, m := range flagRE.FindAllStringSubmatch(synopsis, -1) {
				assert.True(t, listed[m[1]], "%s in the usage line but not in the flags", m[1])
			}
			assert.NotRegexp(t, `(^|[\s\[])-[a-z]{2,}`, synopsis, "a word flag with one dash")
		})
	}
}

func TestTopLevelUsageSpellsFlagsWithTwoDashes(t *testing.T) {
	_, top, _ := runIn("--help")
	assert.NotRegexp(t, `(^|[\s\[])-[a-z]{2,}`, top)
	assert.Contains(t, top, "raven listen [--addr 127.0.0.1:PORT]")
}

func TestVersion(t *testing.T) {
	code, stdout, _ := runIn("--version")
	assert.Equal(t, 0, code)
	assert.Equal(t, "raven "+raven.SDKVersion+"\n", stdout)
}

func TestErrorsAreSaidOnce(t *testing.T) {
	t.Setenv("SENTRY_DSN", "")
	code, _, stderr := runIn("send-event", "-m", "x", "--dsn", "nope")
	assert.Equal(t, 2, code)
	assert.Equal(t, "raven send-event: invalid DSN: scheme \"\" is not http or https\n", stderr)

	code, _, stderr = runIn("run", "--dsn", "nope", "--", "true")
	assert.Equal(t, 0, code)
	assert.Equal(t, 1, strings.Count(stderr, "raven"), stderr)
}
