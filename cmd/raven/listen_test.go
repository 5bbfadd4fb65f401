package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ravenkit/raven"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lines collects what a process writes, line by line.
type lines struct {
	mu   sync.Mutex
	text strings.Builder
	more chan struct{}
}

func collect(r io.Reader) *lines {
	l := &lines{more: make(chan struct{}, 1)}
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			l.mu.Lock()
			l.text.WriteString(sc.Text() + "\n")
			l.mu.Unlock()
			select {
			case l.more <- struct{}{}:
			default:
			}
		}
	}()
	return l
}

func (l *lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.text.String()
}

// waitFor waits until the text matches re and returns the match.
func (l *lines) waitFor(t *testing.T, re *regexp.Regexp) []string {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		if m := re.FindStringSubmatch(l.String()); m != nil {
			return m
		}
		select {
		case <-l.more:
		case <-deadline:
			t.Fatalf("no %v in:\n%s", re, l.String())
		}
	}
}

var dsnRE = regexp.MustCompile(`(?m)^DSN: (http://raven@127\.0\.0\.1:\d+/42)$`)

func startListen(t *testing.T, args ...string) (cmd *exec.Cmd, stdout, stderr *lines) {
	t.Helper()
	cmd = exec.Command(ravenBin, append([]string{"listen"}, args...)...)
	so, err := cmd.StdoutPipe()
	require.NoError(t, err)
	se, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return cmd, collect(so), collect(se)
}

// failInCheckout fails with an in-app stack.
func failInCheckout(c *raven.Client, r *http.Request) {
	ctx := raven.WithScope(raven.ContextWithScope(r.Context(), c.Scope()))
	s := raven.ScopeFromContext(ctx)
	s.SetTag("region", "eu")
	s.SetUser(&raven.User{ID: "42", Email: "a@example.com"})
	s.SetRequest(&raven.Request{Method: r.Method, URL: "http://shop.test" + r.URL.Path})
	s.SetTransaction("POST /checkout")
	s.AddBreadcrumb(raven.Breadcrumb{Category: "cart", Message: "3 items"})
	c.CaptureExceptionContext(ctx, fmt.Errorf("checkout: %w", errors.New("card declined")))
}

func TestListenPrintsWhatItReceives(t *testing.T) {
	cmd, stdout, stderr := startListen(t, "--addr", "127.0.0.1:0")
	dsn := stdout.waitFor(t, dsnRE)[1]
	assert.Contains(t, stdout.String(), "raven listen: receiving events at http://127.0.0.1:")

	c, err := raven.New(raven.WithDSN(dsn), raven.WithRelease("shop@1.2.3"))
	require.NoError(t, err)
	failInCheckout(c, httptest.NewRequest("POST", "/checkout", nil))
	c.CaptureMessage("plain message")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, c.Close(ctx))
	assert.EqualValues(t, 2, c.Stats().Delivered)

	out := stdout.waitFor(t, regexp.MustCompile(`(?s)── event [0-9a-f]{32}  level=error\n.*\n\n`))[0]
	for _, want := range []string{
		"   release: shop@1.2.3",
		"   error: checkout: card declined",
		"   error: card declined",
		"      at failInCheckout (github.com/ravenkit/raven/cmd/raven/listen_test.go:",
		`         > c.CaptureExceptionContext(ctx, fmt.Errorf("checkout: %w", errors.New("card declined")))`,
		"   breadcrumb [cart] 3 items",
		"   tags: region=eu",
		"   user: email=a@example.com, id=42",
		`   request: POST http://shop.test/checkout (transaction "POST /checkout")`,
	} {
		assert.Contains(t, out, want)
	}
	stdout.waitFor(t, regexp.MustCompile(`(?m)^   message: plain message$`))

	// a sender with another key is refused, and told why
	bad, err := raven.New(raven.WithDSN(strings.Replace(dsn, "raven@", "other@", 1)))
	require.NoError(t, err)
	bad.CaptureMessage("wrong key")
	require.NoError(t, bad.Close(ctx))
	stderr.waitFor(t, regexp.MustCompile(`raven listen: refused POST /api/42/envelope/: 401 invalid sentry_key "other"`))

	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	require.NoError(t, cmd.Wait(), "interrupted, it exits 0")
}

func TestListenAddressInUse(t *testing.T) {
	cmd, stdout, _ := startListen(t, "--addr", "127.0.0.1:0")
	dsn := stdout.waitFor(t, dsnRE)[1]
	addr := strings.TrimSuffix(strings.TrimPrefix(dsn, "http://raven@"), "/42")
	code, _, stderr := cli(t, nil, "listen", "--addr", addr)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "address already in use")
	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	require.NoError(t, cmd.Wait())
}
