//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

// Package filelock takes the advisory locks that keep two runs off one
// file or folder.
package filelock

import (
	"errors"
	"os"
	"syscall"
)

// ErrLocked is returned by Lock when another open file holds the lock.
var ErrLocked = errors.New("locked")

// Lock takes an exclusive flock on f without waiting. The lock belongs to
// the open file, so the kernel releases it when f is closed or the process
// dies, also by kill -9: a crashed run never leaves a stale lock behind.
func Lock(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EWOULDBLOCK):
			return ErrLocked
		default:
			return err
		}
	}
}
