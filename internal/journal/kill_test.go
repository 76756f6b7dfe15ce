package journal

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// childEnv switches TestAppendUntilKilled from a skipped test into the
// child process of TestKill9, naming the journal it appends to.
const childEnv = "AZVALIDATE_JOURNAL_CHILD"

func childEntry(k int) Entry {
	return at(Entry{IsAvailable: k%3 != 0, MessageCode: "SUCCESS", Status: success}, k)
}

// TestKill9 runs this test binary as a child that appends answers from
// several goroutines and prints "appended k" after each acknowledged Append,
// SIGKILLs it part-way, and checks that every acknowledged answer is in the
// journal: Append must not return before its line reached the kernel.
//
// Not parallel: between fork and exec the child shares every open file of
// this process, and so holds the flock of journals other tests are closing.
func TestKill9(t *testing.T) {
	const killAfter = 3000
	path := statePath(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestAppendUntilKilled$")
	cmd.Env = append(os.Environ(), childEnv+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := make(map[int]bool)
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		k, ok := strings.CutPrefix(sc.Text(), "appended ")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(k)
		if err != nil {
			t.Fatalf("child said %q", sc.Text())
		}
		acked[n] = true
		if len(acked) == killAfter {
			cmd.Process.Kill() // SIGKILL; keep reading what it printed before dying
		}
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.String() != "signal: killed" {
		t.Fatalf("child ended with %v, want killed (acknowledged %d)", err, len(acked))
	}

	j := mustOpen(t, path, 0, t0)
	defer mustClose(t, j)
	for k := range acked {
		checkLookup(t, j, fmt.Sprint("id@", k), childEntry(k))
	}
	t.Logf("acknowledged %d before the kill, journal holds %d, torn %d", len(acked), j.Len(), j.torn)
}

func TestAppendUntilKilled(t *testing.T) {
	path := os.Getenv(childEnv)
	if path == "" {
		t.Skip("the child process of TestKill9")
	}
	j, err := Open(path, ep1, 0, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	// Far more than the parent waits for: it is killed long before the end.
	const workers, each = 8, 1_000_000
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				k := i*workers + w
				if err := j.Append(fmt.Sprint("id@", k), childEntry(k)); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				fmt.Fprintf(os.Stdout, "appended %d\n", k) // unbuffered: one write(2)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	j.Close()
}
