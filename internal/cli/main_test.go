package cli

import (
	"context"
	"io"
	"os"
	"testing"
	"time"
)

// testTimings shorten retry backoffs and Retry-After pauses, so that fault
// drills take seconds; the binary keeps the real defaults.
var testTimings = Timings{
	BackoffBase: time.Millisecond,
	BackoffMax:  20 * time.Millisecond,
	PauseCap:    20 * time.Millisecond,
}

// testEnv is a command's environment in tests: the given streams, no
// environment variables, the real clock and short timings.
func testEnv(stdin io.Reader, stdout, stderr io.Writer) Env {
	return Env{Stdin: stdin, Stdout: stdout, Stderr: stderr, Timings: testTimings}
}

// asAzvalidate makes the test binary run as azvalidate itself (TestMain):
// completion scripts call the binary they complete (azvalidate __complete
// ...), and tests put this binary on the PATH under that name.
const asAzvalidate = "AZVALIDATE_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asAzvalidate) == "1" {
		env := Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
		os.Exit(Run(context.Background(), os.Args[1:], env))
	}
	os.Exit(m.Run())
}
