package cli

import (
	"io"
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
