package cli

import (
	"io"
	"time"
)

// Env is what a command takes from its process: the standard streams, the
// environment variables, the clock, and the retry timings. main passes the
// real ones; tests pass buffers, their own variables and short timings.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(key string) string // nil: no environment variables
	Now            func() time.Time        // nil: time.Now
	Timings        Timings
	// TableShare, when positive, is the memory each per-id table of a run
	// may hold, in place of its share of --memory-limit: tests make it
	// small, so that a few thousand rows spill.
	TableShare int
}

// Timings are the waits of retries and throttling. Zero values are the
// defaults of the azotte and pace packages; tests shorten them so that fault
// drills take seconds.
type Timings struct {
	BackoffBase time.Duration // first retry backoff ceiling
	BackoffMax  time.Duration // largest backoff, and largest Retry-After honoured by a retry
	PauseCap    time.Duration // longest sleep of a pacer's pause, judged by its full length (see pace.Config)
}

func (e Env) getenv(key string) string {
	if e.Getenv == nil {
		return ""
	}
	return e.Getenv(key)
}

func (e Env) now() time.Time {
	if e.Now == nil {
		return time.Now()
	}
	return e.Now()
}
