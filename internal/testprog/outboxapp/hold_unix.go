//go:build unix

package main

import (
	"os"
	"syscall"
)

// hold takes the flock(2) lock the outbox claims files with, and keeps it
// until the process ends.
func hold(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
}
