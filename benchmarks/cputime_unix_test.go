//go:build unix

package benchmarks

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user + system) the process has used so far,
// on every thread: the caller, the SDK's own goroutines and the collector.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
