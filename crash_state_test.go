//go:build unix

package raven_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/raventest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// crashClient starts a client with crash reporting, in the monitor mode or
// with CrashToOutbox, saving its scope every 10 ms.
func crashClient(t *testing.T, dsn string, toOutbox bool, opts ...raven.Option) *raven.Client {
	t.Helper()
	crashOpts := []raven.CrashOption{raven.WithCrashScopeInterval(10 * time.Millisecond), raven.WithCrashTraceback("")}
	all := []raven.Option{raven.WithDSN(dsn)}
	if toOutbox {
		crashOpts = append(crashOpts, raven.CrashToOutbox())
		all = append(all, raven.WithOutbox(t.TempDir(), fastBackoff()))
	}
	all = append(all, raven.WithCrashReporting(crashOpts...))
	c, err := raven.New(append(all, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = c.Close(ctx)
		_ = debug.SetCrashOutput(nil, debug.CrashOptions{})
	})
	require.NotEmpty(t, raven.CrashStatePath(c), "crash reporting started")
	return c
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

// TestCrashScopeSaveSurvivesHostileValues puts a cyclic map, a 10,000-level
// value and a MarshalJSON that panics in the root scope: the periodic save
// must write the state file (with placeholders) and the process live on.
func TestCrashScopeSaveSurvivesHostileValues(t *testing.T) {
	for _, tc := range []struct {
		name     string
		toOutbox bool
	}{{"monitor", false}, {"outbox", true}} {
		t.Run(tc.name, func(t *testing.T) {
			srv := raventest.NewServer(t)
			c := crashClient(t, srv.DSN(), tc.toOutbox)
			state := raven.CrashStatePath(c)
			s := c.Scope()
			s.SetExtra("loop", cyclicMap())
			s.SetExtra("deep", deepMap(10000))
			s.SetExtra("bad", explodingValue{})
			s.SetTag("saved", "yes")
			waitFor(t, 5*time.Second, func() bool { return strings.Contains(readFile(state), `"saved":"yes"`) }, "scope saved")
			got := readFile(state)
			assert.Contains(t, got, `"self":"[cycle]"`)
			assert.Contains(t, got, `"next":"[depth limit]"`)
			assert.Contains(t, got, `"bad":"[raven_test.explodingValue]"`, "no user method runs for the state file")
			// and the process still captures and delivers
			c.CaptureMessage("alive")
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, err := srv.WaitForEvents(ctx, 1)
			require.NoError(t, err)
		})
	}
}

// TestCrashStateFileIsPrivateAndScrubbed checks the state file: mode 0600,
// in a directory of mode 0700 owned by this user (monitor mode), scrubbed
// like an event, and without the DSN's secret.
func TestCrashStateFileIsPrivateAndScrubbed(t *testing.T) {
	secrets := []string{"dsnsecret0123456789", "hunter2-crash", "tag-secret-123", "abcdefghijk123", "pa55word-crumb",
		"sess-secret-9", "struct-secret-7", "custom-secret-5", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"}
	for _, tc := range []struct {
		name     string
		toOutbox bool
	}{{"monitor", false}, {"outbox", true}} {
		t.Run(tc.name, func(t *testing.T) {
			srv := raventest.NewServer(t)
			dsn := strings.Replace(srv.DSN(), "@", ":dsnsecret0123456789@", 1)
			c := crashClient(t, dsn, tc.toOutbox, raven.WithScrubKeys("internal_code"))
			state := raven.CrashStatePath(c)
			s := c.Scope()
			s.SetExtra("db_password", "hunter2-crash")
			s.SetExtra("creds", struct{ Password string }{"struct-secret-7"})
			s.SetExtra("internal_code", "custom-secret-5")
			s.SetExtra("note", "token is eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl")
			s.SetTag("api_key", "tag-secret-123")
			s.SetTag("auth_header", "Bearer abcdefghijk123")
			s.SetUser(&raven.User{ID: "u1", Data: map[string]any{"session_id": "sess-secret-9"}})
			s.AddBreadcrumb(raven.Breadcrumb{Message: "connect https://bob:pa55word-crumb@db.example/x"})
			s.SetTag("saved", "yes")
			waitFor(t, 5*time.Second, func() bool { return strings.Contains(readFile(state), `"saved":"yes"`) }, "scope saved")

			got := readFile(state)
			for _, secret := range secrets {
				assert.NotContains(t, got, secret)
			}
			assert.Contains(t, got, raven.Filtered)
			assert.Contains(t, got, `"dsn":"`+srv.DSN()+`"`, "the DSN without its secret")
			fi, err := os.Stat(state)
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
			if tc.toOutbox {
				return
			}
			dir := filepath.Dir(state)
			assert.True(t, strings.HasPrefix(filepath.Base(dir), "raven-crash-"), dir)
			di, err := os.Lstat(dir)
			require.NoError(t, err)
			assert.True(t, di.IsDir())
			assert.Equal(t, os.FileMode(0o700), di.Mode().Perm())
			ents, err := os.ReadDir(dir)
			require.NoError(t, err)
			assert.Len(t, ents, 1, "the state file alone")

			// a normal exit: the monitor removes the file and its directory
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			require.NoError(t, c.Close(ctx))
			require.NoError(t, debug.SetCrashOutput(nil, debug.CrashOptions{}))
			waitFor(t, 10*time.Second, func() bool { _, err := os.Stat(dir); return os.IsNotExist(err) }, "state directory removed")
		})
	}
}
