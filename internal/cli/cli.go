// Package cli is azvalidate's command line: flags, help, configuration
// checks, and the commands validate, plan, sandbox, state, version and
// completion. Run takes its streams, environment and clock as parameters
// (Env), so that tests run whole commands in-process.
//
// A validate run is composed by concern: validate.go (its flags and
// configuration), connect.go (the endpoint and call flags it shares with
// plan --sample), flags.go (the flag machinery every command shares),
// source.go (opening the inputs), paths.go and outputs.go (the output files:
// checked before any call, then their lifecycle), run.go (one validation:
// endpoint, client, journal, pipeline, summary), journal.go (the journal as
// the pipeline sees it), budgeted.go (the passes of a run under --max-calls or --deadline),
// owners.go (--owners), progress.go and listen.go (what stderr and --listen
// show meanwhile). survey.go is the call-free pass plan and budgets share,
// sample.go plan's sample; state.go the journal's commands. Exit codes have
// one home, exit.go.
package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

const usage = `azvalidate checks every ExternalId of a CSV, TSV, NDJSON, Excel or Parquet export
against Azotte's customer validate call and writes each row back, annotated.

Usage:
  azvalidate validate [flags] [FILE|-]   validate every row (stdin when FILE is - or absent)
  azvalidate plan     [flags] [FILE|-]   no API call: ids, duplicates, near-collisions, API time
  azvalidate sandbox  [flags]            serve a local Azotte-compatible validate endpoint
  azvalidate state    SUBCOMMAND FILE    a --state journal: info, compact (shrink) or export (CSV)
  azvalidate version                     print the version (also: azvalidate -V, --version)
  azvalidate completion bash|zsh|fish    print a shell completion script

Run 'azvalidate COMMAND -h' (or 'azvalidate help COMMAND') for a command's flags and examples.

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

// commands are the top level's commands, for suggestions.
var commands = []string{"validate", "plan", "sandbox", "state", "version", "completion", "help"}

func dispatch(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 {
		// Help, as the answer to nothing; exit 2 as no work was done.
		fmt.Fprint(env.Stdout, usage)
		return exitError{code: exitUsage}
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
		return runState(rest, env.Stdout)
	case "completion":
		return runCompletion(rest, env.Stdout)
	case "version", "-V", "--version", "-version":
		return runVersion(rest, env.Stdout)
	case "help", "-h", "-help", "--help":
		return runHelp(ctx, rest, env)
	}
	return unknownCommand(cmd)
}

// runHelp shows the top level's help, or with a command's name that
// command's (help validate is validate -h).
func runHelp(ctx context.Context, args []string, env Env) error {
	switch {
	case len(args) == 0, len(args) == 1 && (args[0] == "help" || isHelpFlag(args[0])):
		fmt.Fprint(env.Stdout, usage)
		return nil
	case len(args) > 1:
		return withHelpHint(fmt.Errorf("help takes one command, got %q", args), "")
	case !slices.Contains(commands, args[0]):
		return unknownCommand(args[0])
	}
	return dispatch(ctx, []string{args[0], "-h"}, env)
}

// unknownCommand is the usage error for a first word that is no command,
// with what was likely meant.
func unknownCommand(cmd string) error {
	var err error
	switch {
	case strings.HasPrefix(cmd, "-"):
		err = fmt.Errorf("unknown flag %s; flags come after the command, e.g. 'azvalidate validate %s'", cmd, cmd)
	case closest(cmd, commands) != "":
		err = fmt.Errorf("unknown command %q; did you mean %s?", cmd, closest(cmd, commands))
	case looksLikeInput(cmd):
		err = fmt.Errorf("unknown command %q; to validate it: azvalidate validate %s", cmd, cmd)
	default:
		err = fmt.Errorf("unknown command %q", cmd)
	}
	return withHelpHint(err, "")
}

// looksLikeInput says whether arg reads as an export's file name, which a
// user may give without the command.
func looksLikeInput(arg string) bool {
	name := strings.TrimSuffix(strings.ToLower(arg), ".gz")
	for _, ext := range []string{".csv", ".tsv", ".ndjson", ".jsonl"} {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

// isHelpFlag says whether arg asks for help, as the flag package reads it.
func isHelpFlag(arg string) bool {
	switch arg {
	case "-h", "--h", "-help", "--help":
		return true
	}
	return false
}
