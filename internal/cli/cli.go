// Package cli is azvalidate's command line: flags, help, configuration
// checks, and the commands validate, plan, sandbox, state, version and
// completion.
// Run takes its streams, environment and clock as parameters (Env), so that
// tests run whole commands in-process.
//
// A validate run is composed in four files: validate.go (flags and
// configuration), source.go (opening the input), outputs.go (the output
// files and their lifecycle) and run.go (one validation: endpoint, client,
// journal, pipeline, summary). Exit codes have one home, exit.go.
package cli

import (
	"context"
	"errors"
	"fmt"
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
// and summaries go to env.Stderr; only rows (or a command's own output) go to
// env.Stdout.
func Run(ctx context.Context, args []string, env Env) int {
	err := dispatch(ctx, args, env)
	if err == nil {
		return exitOK
	}
	if msg := err.Error(); msg != "" {
		fmt.Fprintf(env.Stderr, "azvalidate: %s\n", msg)
	}
	return codeOf(err, exitUsage)
}

func dispatch(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, usage)
		return exitError{code: exitUsage, err: errors.New("no command given")}
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "validate":
		return runValidate(ctx, rest, env)
	case "plan":
		return runPlan(ctx, rest, env)
	case "sandbox":
		return runSandbox(ctx, rest, env.Stdout, env.Stderr)
	case "state":
		return runState(rest, env.Stdout, env.Stderr)
	case "completion":
		return runCompletion(rest, env.Stdout)
	case "version", "--version":
		return runVersion(rest, env.Stdout)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(env.Stdout, usage)
		return nil
	}
	fmt.Fprint(env.Stderr, usage)
	return usageError("unknown command %q", cmd)
}
