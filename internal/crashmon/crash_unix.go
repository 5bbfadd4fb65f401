//go:build unix

package crashmon

import (
	"os"
	"os/exec"
	"syscall"
)

// detachMonitor puts the monitor in its own process group, so that a
// Ctrl-C sent to the program's group does not kill the monitor before it
// has reported the crash.
func detachMonitor(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// ownedByProcessUser reports whether fi belongs to this process's
// effective user.
func ownedByProcessUser(fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Geteuid()
}
