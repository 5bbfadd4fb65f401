//go:build unix

package crashmon

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCheckPrivateDir accepts only a real directory closed to others.
func TestCheckPrivateDir(t *testing.T) {
	base := t.TempDir()
	mk := func(name string, mode os.FileMode) string {
		p := filepath.Join(base, name)
		require.NoError(t, os.Mkdir(p, 0o700))
		require.NoError(t, os.Chmod(p, mode))
		return p
	}
	private := mk("private", 0o700)
	open := mk("open", 0o777)
	groupRead := mk("group", 0o750)
	link := filepath.Join(base, "link")
	require.NoError(t, os.Symlink(private, link))
	file := filepath.Join(base, "file")
	require.NoError(t, os.WriteFile(file, nil, 0o600))

	for _, tc := range []struct {
		name, dir string
		ok        bool
	}{
		{"private directory", private, true},
		{"mode 0777", open, false},
		{"mode 0750", groupRead, false},
		{"symbolic link to a private directory", link, false},
		{"regular file", file, false},
		{"missing", filepath.Join(base, "missing"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckPrivateDir(tc.dir)
			if tc.ok {
				assert.NoError(t, err)
			} else {
				assert.Error(t, err)
			}
		})
	}
}

// TestPrivateStateDir creates a fresh directory of mode 0700 each time.
func TestPrivateStateDir(t *testing.T) {
	a, err := PrivateStateDir()
	require.NoError(t, err)
	defer os.RemoveAll(a)
	b, err := PrivateStateDir()
	require.NoError(t, err)
	defer os.RemoveAll(b)
	assert.NotEqual(t, a, b)
	fi, err := os.Lstat(a)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm())
	require.NoError(t, WritePrivateFile(filepath.Join(a, StateName), []byte("{}")))
	fi, err = os.Stat(filepath.Join(a, StateName))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	RemoveState(filepath.Join(a, StateName))
	_, err = os.Stat(a)
	assert.True(t, os.IsNotExist(err))
}
