package raven_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ravenkit/raven"
	"github.com/ravenkit/raven/raventest"
	"github.com/stretchr/testify/require"
)

// faultRow is one line of the reliability table.
type faultRow struct {
	fault               string
	captured, delivered uint64
	received            int // events the receiver got
	dropped             map[raven.DropReason]uint64
	stored              int
	setAside            uint64
	lost                int64
}

func (r faultRow) markdown() string {
	var drops []string
	for reason, n := range r.dropped {
		drops = append(drops, fmt.Sprintf("%s %d", reason, n))
	}
	slices.Sort(drops)
	d := strings.Join(drops, ", ")
	if d == "" {
		d = "-"
	}
	return fmt.Sprintf("| %s | %d | %d | %d | %s | %d | %d | %d |", r.fault, r.captured, r.delivered, r.received, d, r.stored, r.setAside, r.lost)
}

// rowFromStats closes c (within closeIn) and turns its Stats into a row;
// lost is what Stats cannot place (Pending after Close).
func rowFromStats(t *testing.T, fault string, c *raven.Client, received func() int, closeIn time.Duration) faultRow {
	ctx, cancel := context.WithTimeout(context.Background(), closeIn)
	defer cancel()
	_ = c.Close(ctx)
	st := c.Stats()
	checkBalance(t, st)
	var set uint64
	for _, n := range st.SetAside {
		set += n
	}
	return faultRow{fault: fault, captured: st.Captured, delivered: st.Delivered, received: received(), dropped: st.Dropped,
		stored: st.Stored, setAside: set, lost: int64(st.Pending)}
}

// TestReliabilityTable drives each fault against servers on 127.0.0.1 and
// writes the table of docs/RELIABILITY.md to the file named by
// RAVEN_RELIABILITY_TABLE (scripts/reliability.sh).
func TestReliabilityTable(t *testing.T) {
	out := os.Getenv("RAVEN_RELIABILITY_TABLE")
	if out == "" {
		t.Skip("set RAVEN_RELIABILITY_TABLE (scripts/reliability.sh)")
	}
	var rows []faultRow
	capture := func(c *raven.Client, n int) {
		for i := 0; i < n; i++ {
			c.CaptureMessage("fault")
		}
	}
	none := func() int { return 0 }
	const small = 8 // events where each costs the transport's full retries

	t.Run("server down", func(t *testing.T) {
		c, err := raven.New(raven.WithDSN(deadDSN(t)))
		require.NoError(t, err)
		capture(c, small)
		rows = append(rows, rowFromStats(t, "server down (connection refused)", c, none, 30*time.Second))
	})
	t.Run("server down, outbox", func(t *testing.T) {
		c, err := raven.New(raven.WithDSN(deadDSN(t)), raven.WithOutbox(t.TempDir()))
		require.NoError(t, err)
		capture(c, 50)
		rows = append(rows, rowFromStats(t, "server down, WithOutbox", c, none, 30*time.Second))
	})
	t.Run("5xx", func(t *testing.T) {
		srv := raventest.NewServer(t)
		srv.RespondWith(http.StatusServiceUnavailable, nil)
		c, err := raven.New(raven.WithDSN(srv.DSN()))
		require.NoError(t, err)
		capture(c, small)
		rows = append(rows, rowFromStats(t, "503 on every request", c, func() int { return len(srv.Events()) }, 30*time.Second))
	})
	t.Run("5xx, outbox", func(t *testing.T) {
		srv := raventest.NewServer(t)
		srv.RespondWith(http.StatusServiceUnavailable, nil)
		c, err := raven.New(raven.WithDSN(srv.DSN()), raven.WithOutbox(t.TempDir()))
		require.NoError(t, err)
		capture(c, 50)
		rows = append(rows, rowFromStats(t, "503 on every request, WithOutbox", c, func() int { return len(srv.Events()) }, 30*time.Second))
	})
	t.Run("429", func(t *testing.T) {
		srv := raventest.NewServer(t)
		srv.RespondWith(http.StatusTooManyRequests, http.Header{"Retry-After": {"60"}})
		c, err := raven.New(raven.WithDSN(srv.DSN()))
		require.NoError(t, err)
		capture(c, 50)
		rows = append(rows, rowFromStats(t, "429 Retry-After: 60", c, func() int { return len(srv.Events()) }, 30*time.Second))
	})
	t.Run("hanging", func(t *testing.T) {
		srv := raventest.NewServer(t)
		srv.Hang()
		defer srv.Unhang()
		c, err := raven.New(raven.WithDSN(srv.DSN()))
		require.NoError(t, err)
		capture(c, small)
		rows = append(rows, rowFromStats(t, "hanging server, Close after 2 s", c, func() int { return len(srv.Events()) }, 2*time.Second))
	})
	t.Run("reset", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		done := make(chan struct{})
		go func() {
			defer close(done)
			for {
				conn, err := l.Accept()
				if err != nil {
					return
				}
				if tc, ok := conn.(*net.TCPConn); ok {
					_ = tc.SetLinger(0) // close with RST
				}
				conn.Close()
			}
		}()
		c, err := raven.New(raven.WithDSN("http://public@" + l.Addr().String() + "/42"))
		require.NoError(t, err)
		capture(c, small)
		rows = append(rows, rowFromStats(t, "connection reset", c, none, 30*time.Second))
		l.Close()
		<-done
	})
	t.Run("redirect", func(t *testing.T) {
		target := publicServer(t) // accepts what the redirect brings
		redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target.URL()+r.URL.Path, http.StatusTemporaryRedirect)
		}))
		defer redirect.Close()
		c, err := raven.New(raven.WithDSN("http://public@" + strings.TrimPrefix(redirect.URL, "http://") + "/42"))
		require.NoError(t, err)
		capture(c, 20)
		rows = append(rows, rowFromStats(t, "307 redirect to another server", c, func() int { return len(target.Events()) }, 30*time.Second))
	})

	bin := buildProg(t, t.TempDir(), "internal/testprog/outboxapp")
	for _, tc := range []struct{ ending, fault string }{
		{"kill", "SIGKILL 200 ms after 500 captures, server down, WithOutbox; then a restart"},
		{"exit", "os.Exit without Close 200 ms after 500 captures, WithOutbox; then a restart"},
		{"exit-now", "os.Exit without Close right after 500 captures, WithOutbox; then a restart"},
	} {
		t.Run(tc.ending, func(t *testing.T) {
			dir := t.TempDir()
			ids := runBurst(t, bin, dir, deadDSN(t), 500, tc.ending)
			srv := publicServer(t)
			st := restart(t, dir, srv)
			rows = append(rows, faultRow{fault: tc.fault, captured: uint64(len(ids)), delivered: st.Delivered, received: len(srv.Events()),
				dropped: st.Dropped, stored: st.Stored, lost: int64(len(ids)) - int64(st.Delivered) - int64(st.DroppedTotal()) - int64(st.Stored)})
		})
	}

	t.Run("planted and corrupt files", func(t *testing.T) {
		srv := publicServer(t)
		dir := t.TempDir()
		for i, dsn := range []string{"http://attacker@127.0.0.1:1/42", "", "http://public@127.0.0.1:1/7"} {
			b, _ := storedEnvelope(t, dsn)
			require.NoError(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("%020d-1-planted.env", i)), b, 0o600))
		}
		for i, b := range [][]byte{nil, []byte("garbage"), []byte("#raven-spool 1\n99\nx\n")} {
			require.NoError(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("%020d-1-corrupt.env", 10+i)), b, 0o600))
		}
		require.NoError(t, os.Symlink("/etc/hostname", filepath.Join(dir, "crash-999999-x.crash")))
		c, err := raven.New(raven.WithDSN(srv.DSN()), raven.WithOutbox(dir, fastBackoff()))
		require.NoError(t, err)
		capture(c, 1)
		waitFor(t, 10*time.Second, func() bool {
			st := c.Stats()
			return st.Delivered == 1 && len(st.SetAside) == 3
		}, "planted files set aside")
		rows = append(rows, rowFromStats(t, "3 planted envelopes, 3 corrupt files, 1 symlink; 1 capture", c, func() int { return len(srv.Events()) }, 10*time.Second))
	})

	var b strings.Builder
	b.WriteString("| fault | captured | delivered | received by the server | dropped by reason | stored | files set aside | lost |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		b.WriteString(r.markdown() + "\n")
	}
	require.NoError(t, os.WriteFile(out, []byte(b.String()), 0o644))
}
