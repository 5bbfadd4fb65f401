//go:build !unix

package spool

import (
	"io/fs"
	"os"
	"time"
)

// LockFile has no cross-process advisory lock to take on this platform:
// it always succeeds. Within a process the outbox keeps its own set of
// files in use; processes sharing one directory at the same time may send
// a file twice (servers drop the second copy by its event_id).
func LockFile(*os.File) (bool, error) { return true, nil }

// Locks tells whether LockFile excludes other processes.
const Locks = false

// OpenNoFollow opens path for reading, refusing a symbolic link (checked
// before the open: this platform has no O_NOFOLLOW).
func OpenNoFollow(path string) (*os.File, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return nil, errSymlink
	}
	return os.Open(path)
}

var errSymlink = &fs.PathError{Op: "open", Err: fs.ErrInvalid}

func isSymlinkErr(err error) bool { return err == errSymlink }

// ownedByMe cannot tell file owners apart on this platform.
func ownedByMe(fs.FileInfo) bool { return true }

// tempIsStale: without locks, a temporary file older than a minute is
// taken as left behind by a writer that died.
func tempIsStale(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && time.Since(fi.ModTime()) > time.Minute
}
