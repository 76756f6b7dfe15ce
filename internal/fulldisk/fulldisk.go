// Package fulldisk stands in for a full disk in tests: the kernel refuses
// writes to a file past a size, the process's file size limit
// (RLIMIT_FSIZE), with EFBIG where a full disk says ENOSPC. Only tests
// import it.
package fulldisk

import (
	"os/signal"
	"syscall"
	"testing"
)

// Limit returns set, which makes every file of the process refuse writes
// past n bytes, and lift, which removes the limit (as the end of t does).
// The limit is the whole process's: a test using it must run alone, not in
// parallel.
func Limit(t testing.TB) (set func(n uint64), lift func()) {
	t.Helper()
	signal.Ignore(syscall.SIGXFSZ) // else the kernel's signal would end the process
	var unlimited syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &unlimited); err != nil {
		t.Fatal(err)
	}
	set = func(n uint64) {
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: n, Max: unlimited.Max}); err != nil {
			t.Fatal(err)
		}
	}
	lift = func() {
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &unlimited); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(lift)
	return set, lift
}
