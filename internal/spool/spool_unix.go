//go:build unix

package spool

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// LockFile takes an exclusive advisory lock (flock(2)) on f without
// waiting; it reports false when another open file holds one. The lock
// belongs to the open file: closing it, or the death of the process,
// releases it.
func LockFile(f *os.File) (bool, error) {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, syscall.EWOULDBLOCK):
			return false, nil
		case errors.Is(err, syscall.EINTR):
			continue
		}
		return false, err
	}
}

// OpenNoFollow opens path for reading without following a symbolic link
// in its last element, and without blocking on a FIFO.
func OpenNoFollow(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
}

// isSymlinkErr reports whether err is OpenNoFollow refusing a symbolic
// link (ELOOP on Linux, EMLINK on the BSDs).
func isSymlinkErr(err error) bool {
	return errors.Is(err, syscall.ELOOP) || errors.Is(err, syscall.EMLINK)
}

// ownedByMe reports whether the file belongs to this process's user.
func ownedByMe(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return !ok || int(st.Uid) == os.Getuid()
}

// tempIsStale reports whether a temporary file that could be locked was
// left behind: its writer holds the lock until the rename, so yes.
func tempIsStale(*os.File) bool { return true }

// Locks tells whether LockFile excludes other processes.
const Locks = true
