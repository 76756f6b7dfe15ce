// Package cli is azvalidate's command line: flags, help, configuration checks
// and the commands validate, plan, sandbox, state and version. Run takes its
// streams as parameters so that tests run whole commands in-process.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
)

// Exit codes (SPEC "Exit codes").
const (
	exitOK          = 0
	exitFindings    = 1 // finished; taken, duplicate or invalid rows
	exitUsage       = 2 // usage, configuration or credential error
	exitRowErrors   = 3 // finished; some rows got no answer
	exitInterrupted = 130
	exitTerminated  = 143
)

const usage = `azvalidate checks every ExternalId of a CSV, TSV or NDJSON export against
Azotte's customer validate call and writes each row back, annotated.

Usage:
  azvalidate validate [flags] [FILE|-]   validate every row (stdin when FILE is - or absent)
  azvalidate plan     [flags] [FILE|-]   no API call: rows, duplicates, near-collisions, calls needed, API time
  azvalidate sandbox  [flags]            serve a local Azotte-compatible validate endpoint
  azvalidate state    SUBCOMMAND FILE    a --state journal: info, compact (shrink) or export (CSV)
  azvalidate version                     print the version
  azvalidate completion bash|zsh|fish    print a shell completion script

Run 'azvalidate COMMAND -h' for a command's flags and examples.

Try it with no setup:
  azvalidate validate --sandbox --sandbox-taken testdata/taken.txt testdata/customers.csv
`

// Run runs the command line args and returns the process exit code. Errors
// and summaries go to stderr; only rows (or a command's own output) go to stdout.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	err := dispatch(ctx, args, stdin, stdout, stderr)
	if err == nil {
		return exitOK
	}
	code := exitUsage
	var coded interface{ ExitCode() int }
	if errors.As(err, &coded) {
		code = coded.ExitCode()
	}
	if msg := err.Error(); msg != "" {
		fmt.Fprintf(stderr, "azvalidate: %s\n", msg)
	}
	return code
}

func dispatch(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitError{code: exitUsage, err: errors.New("no command given")}
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "validate":
		return runValidate(ctx, rest, stdin, stdout, stderr)
	case "plan":
		return runPlan(ctx, rest, stdin, stdout, stderr)
	case "sandbox":
		return runSandbox(ctx, rest, stdout, stderr)
	case "state":
		return runState(rest, stdout, stderr)
	case "completion":
		return runCompletion(rest, stdout)
	case "version", "--version":
		return runVersion(rest, stdout)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return usageError("unknown command %q", cmd)
}

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
	return exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// Interrupt is the cause of a run stopped by a signal; main passes it to the
// context's cancel function so that the exit code names the signal.
type Interrupt struct{ Signal os.Signal }

// Interrupted returns the Interrupt for sig.
func Interrupted(sig os.Signal) Interrupt { return Interrupt{sig} }

func (i Interrupt) Error() string { return "interrupted by " + i.Signal.String() }

// ExitCode is 143 for SIGTERM and 130 otherwise (SIGINT), as shells report them.
func (i Interrupt) ExitCode() int {
	if i.Signal == syscall.SIGTERM {
		return exitTerminated
	}
	return exitInterrupted
}

// parseArgs parses flags that may come before, between or after the
// positional arguments (users type 'validate x.csv --rate 10'); the standard
// flag package stops at the first non-flag. After "--" all is positional.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// parseFileArgs parses the flags of a command that reads one input FILE
// ("-", or nothing, for stdin). set holds the flags given explicitly.
func parseFileArgs(fs *flag.FlagSet, args []string) (file string, set map[string]bool, err error) {
	pos, err := parseArgs(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return "", nil, exitError{code: exitOK} // help shown: stop, successfully
	}
	if err != nil {
		return "", nil, flagError(err)
	}
	set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch len(pos) {
	case 0:
		return "-", set, nil
	case 1:
		return pos[0], set, nil
	}
	return "", nil, usageError("%s takes one input FILE, got %d: %s", fs.Name(), len(pos), strings.Join(pos, " "))
}

// newFlagSet returns a flag set whose -h prints help (synopsis, flags with
// defaults, examples) to out.
func newFlagSet(name, synopsis, examples string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprintf(out, "%s\n\nFlags:\n", strings.TrimSpace(synopsis))
		printFlags(out, fs)
		fmt.Fprintf(out, "\nExamples:\n%s", examples)
	}
	return fs
}

// shortFlags are one-letter aliases, printed beside their long flag.
var shortFlags = map[string]string{"output": "o"}

// printFlags lists flags GNU-style (--name VALUE), aliases together, with
// their defaults.
func printFlags(out io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		if len(f.Name) == 1 {
			return // printed with its long form
		}
		name, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if short, ok := shortFlags[f.Name]; ok {
			line = "  -" + short + ", --" + f.Name
		}
		if name != "" {
			line += " " + name
		}
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
			usage += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(out, "%s\n      %s\n", line, usage)
	})
}

// flagError turns a flag parse error into an exit code: -h is success. The
// flag package has already printed the error and the usage.
func flagError(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return exitError{code: exitUsage}
}
