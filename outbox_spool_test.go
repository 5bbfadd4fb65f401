package raven_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ravenkit/raven"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// quarantined lists the quarantine subdirectory of an outbox.
func quarantined(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(dir, "quarantine"))
	if os.IsNotExist(err) {
		return nil
	}
	require.NoError(t, err)
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// Nothing in the outbox is read through a symbolic link or from a file of
// another user: such files are moved to quarantine and counted, and what
// they point to never reaches the server.
func TestOutboxRefusesLinksAndForeignOwners(t *testing.T) {
	srv := publicServer(t)
	dir, outside := t.TempDir(), t.TempDir()
	secret := "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n"
	key := filepath.Join(outside, "id_ed25519")
	require.NoError(t, os.WriteFile(key, []byte(secret), 0o600))
	env, _ := storedEnvelope(t, srv.DSN()) // would be sent if the link were followed
	target := filepath.Join(outside, "envelope")
	require.NoError(t, os.WriteFile(target, env, 0o600))
	require.NoError(t, os.Symlink(key, filepath.Join(dir, "crash-999999-x.crash")))
	require.NoError(t, os.Symlink(key, filepath.Join(dir, "crash-999998-y.crash")))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "crash-999998-y.state.json"), []byte(`{"dsn":"x"}`), 0o600))
	require.NoError(t, os.Symlink(target, filepath.Join(dir, "00000000000000000001-1-link.env")))
	unsafe := 3
	if os.Getuid() == 0 { // a file of another user can be made here
		other := filepath.Join(dir, "00000000000000000002-1-other.env")
		require.NoError(t, os.WriteFile(other, env, 0o600))
		require.NoError(t, os.Chown(other, 65534, 65534))
		unsafe++
	}

	c, err := raven.New(raven.WithDSN(srv.DSN()), raven.WithOutbox(dir, fastBackoff()))
	require.NoError(t, err)
	waitFor(t, 5*time.Second, func() bool { return c.Stats().SetAside[raven.SetAsideUnsafe] == uint64(unsafe) }, "unsafe files set aside")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, c.Close(ctx))

	assert.Empty(t, srv.Events(), "nothing was sent")
	for _, raw := range srv.RawEvents() {
		assert.NotContains(t, string(raw), "PRIVATE KEY")
	}
	st := c.Stats()
	assert.Zero(t, st.Restored)
	assert.Zero(t, st.Delivered)
	assert.Len(t, quarantined(t, dir), unsafe)
	left, _ := filepath.Glob(filepath.Join(dir, "crash-*.crash"))
	assert.Empty(t, left)
	b, err := os.ReadFile(key)
	require.NoError(t, err)
	assert.Equal(t, secret, string(b), "the link's target is left alone")
}

// An outbox directory others may access is made private; one that
// belongs to another user is refused.
func TestOutboxDirectoryMadePrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "outbox")
	require.NoError(t, os.Mkdir(dir, 0o700))
	require.NoError(t, os.Chmod(dir, 0o777))
	c, err := raven.New(raven.WithDSN(deadDSN(t)), raven.WithOutbox(dir))
	require.NoError(t, err)
	require.NoError(t, c.Close(context.Background()))
	fi, err := os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm())

	if os.Getuid() != 0 {
		t.Skip("cannot give a directory to another user")
	}
	theirs := filepath.Join(t.TempDir(), "theirs")
	require.NoError(t, os.Mkdir(theirs, 0o700))
	require.NoError(t, os.Chown(theirs, 65534, 65534))
	_, err = raven.New(raven.WithDSN(deadDSN(t)), raven.WithOutbox(theirs))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "another user")
}

// Unreadable files (empty, truncated, corrupt) are moved to a bounded
// quarantine and counted; temporary files a kill left behind are removed
// at start; good files beside them are delivered.
func TestOutboxQuarantinesUnreadableFiles(t *testing.T) {
	srv := publicServer(t)
	dir := t.TempDir()
	good, id := storedEnvelope(t, srv.DSN())
	files := map[string][]byte{
		"00000000000000000001-1-empty.env":     nil,
		"00000000000000000002-1-truncated.env": good[:len(good)/2],
		"00000000000000000003-1-corrupt.env":   []byte("\x00\xff garbage"),
		"00000000000000000004-1-badbatch.env":  []byte("#raven-spool 1\n999\nshort\n"),
		"00000000000000000005-1-good.env":      good,
	}
	for name, b := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o600))
	}
	tmp := filepath.Join(dir, ".00000000000000000006-1-x.env.123.tmp")
	require.NoError(t, os.WriteFile(tmp, good[:10], 0o600))

	c, err := raven.New(raven.WithDSN(srv.DSN()), raven.WithOutbox(dir, fastBackoff()))
	require.NoError(t, err)
	assert.NoFileExists(t, tmp, "a temporary file without a writer is removed at start")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	waitFor(t, 5*time.Second, func() bool {
		st := c.Stats()
		return st.SetAside[raven.SetAsideUnreadable] == 4 && st.Delivered == 1
	}, "unreadable files counted, the good one delivered")
	require.NoError(t, c.Close(ctx))
	assert.Equal(t, id, srv.Events()[0].EventID)
	assert.Len(t, quarantined(t, dir), 4)
	assert.Empty(t, outboxFiles(t, dir))
	st := c.Stats()
	assert.EqualValues(t, 1, st.Restored)
	assert.EqualValues(t, 1, st.Delivered)
	checkBalance(t, st)

	// the quarantine keeps a bounded number of files, the newest
	for i := 0; i < 100; i++ {
		name := filepath.Join(dir, strings.Repeat("0", 17)+string(rune('a'+i%26))+string(rune('a'+i/26))+"-1-bad.env")
		require.NoError(t, os.WriteFile(name, []byte("bad"), 0o600))
	}
	res, err := raven.FlushOutbox(ctx, dir, srv.DSN())
	require.ErrorIs(t, err, raven.ErrOutboxIncomplete)
	assert.Equal(t, 100, res.SetAside)
	assert.LessOrEqual(t, len(quarantined(t, dir)), 64)
	assert.NotEmpty(t, quarantined(t, dir))
}
