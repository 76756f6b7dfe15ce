package cli

import (
	"os"
	"testing"
	"time"
)

// TestMain shortens retry backoffs and Retry-After pauses, so that fault
// drills take seconds; the binary keeps the real defaults.
func TestMain(m *testing.M) {
	tuning.backoffBase = time.Millisecond
	tuning.backoffMax = 20 * time.Millisecond
	tuning.maxPause = 20 * time.Millisecond
	os.Exit(m.Run())
}
