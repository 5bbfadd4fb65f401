//go:build !unix

package raven

import "os/exec"

// detachMonitor has nothing to do on this platform.
func detachMonitor(*exec.Cmd) {}
