//go:build !unix

package crashmon

import (
	"os"
	"os/exec"
)

// detachMonitor has nothing to do on this platform.
func detachMonitor(*exec.Cmd) {}

// ownedByProcessUser cannot tell file owners on this platform.
func ownedByProcessUser(os.FileInfo) bool { return true }
