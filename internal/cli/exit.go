package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/azotte/azvalidate/internal/azotte"
	"github.com/azotte/azvalidate/internal/input"
)

// Exit codes, as the README documents them.
const (
	exitOK          = 0
	exitFindings    = 1  // finished; taken, duplicate or invalid rows
	exitUsage       = 2  // usage, configuration or credential error; an output could not be written
	exitRowErrors   = 3  // finished; some rows got no answer, or the input broke off
	exitPaused      = 75 // EX_TEMPFAIL: every row written, but Azotte asked to wait longer than the run allows; try again later
	exitInterrupted = 130
	exitTerminated  = 143
)

// exitError carries the process exit code of an error. A nil err is an exit
// code with nothing more to say (the summary, or the flag package, said it).
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}
func (e exitError) Unwrap() error { return e.err }
func (e exitError) ExitCode() int { return e.code }

func usageError(format string, args ...any) error {
	return fmt.Errorf(format, args...)
}

// Interrupt is the cause of a run stopped by a signal; main passes it to the
// context's cancel function so that the exit code names the signal.
type Interrupt struct{ Signal os.Signal }

// Interrupted returns the Interrupt for sig.
func Interrupted(sig os.Signal) Interrupt { return Interrupt{sig} }

func (i Interrupt) Error() string {
	switch i.Signal {
	case syscall.SIGINT:
		return "interrupted by SIGINT"
	case syscall.SIGTERM:
		return "interrupted by SIGTERM"
	}
	return "interrupted by " + i.Signal.String()
}

// ExitCode is 143 for SIGTERM and 130 otherwise (SIGINT), as shells report them.
func (i Interrupt) ExitCode() int {
	if i.Signal == syscall.SIGTERM {
		return exitTerminated
	}
	return exitInterrupted
}

// resumable reports whether a run stopped part-way through for a reason a
// re-run may not meet: an interrupt, or Azotte unreachable for too long.
func resumable(ctx context.Context, runErr error) bool {
	var unreachable *azotte.UnreachableError
	return ctx.Err() != nil || errors.As(runErr, &unreachable) && unreachable.MidRun()
}

// pauseOf returns the pause that ended a run's asking early, when that is
// how it ended: not a failure, every row is written, and a later run with
// the same --state goes on.
func pauseOf(runErr error) *azotte.PauseError {
	var pause *azotte.PauseError
	if errors.As(runErr, &pause) {
		return pause
	}
	return nil
}

// codeOf is the exit code an error carries, or def.
func codeOf(err error, def int) int {
	var coded interface{ ExitCode() int }
	if errors.As(err, &coded) {
		return coded.ExitCode()
	}
	return def
}

// stopCode maps how a command that reads an input ended (validate, plan) to
// its exit code and the error to report; ok is false when it ran to the end
// without a fatal error, and the caller's findings decide. An interrupt
// names its signal; an input that broke off, or Azotte unreachable mid-run,
// is an incomplete run (3); an endpoint unreachable from the first
// request, credentials refused and every other failure are 2. A pause
// longer than the run allows is 75, whatever the verdicts.
func stopCode(ctx context.Context, runErr error) (code int, err error, ok bool) {
	var cred *azotte.CredentialsError
	var endpoint *azotte.EndpointError
	var in *input.Error
	var unreachable *azotte.UnreachableError
	switch {
	case ctx.Err() != nil:
		cause := context.Cause(ctx)
		return codeOf(cause, exitInterrupted), cause, false
	case errors.As(runErr, &cred), errors.As(runErr, &endpoint):
		return exitUsage, runErr, false
	case errors.As(runErr, &unreachable) && !unreachable.MidRun():
		return exitUsage, runErr, false
	case errors.As(runErr, &in), errors.As(runErr, &unreachable):
		return exitRowErrors, runErr, false
	case pauseOf(runErr) != nil:
		return exitPaused, runErr, false
	case runErr != nil:
		return codeOf(runErr, exitUsage), runErr, false
	}
	return exitOK, nil, true
}

// sideFileFailed is the exit code once a side file (--summary, --report,
// --metrics-file) could not be written: 2, unless a signal already decided it.
func sideFileFailed(code int) int {
	if code == exitInterrupted || code == exitTerminated {
		return code
	}
	return exitUsage
}
