// Package cli is azvalidate's command line: flags, help, configuration
// checks, and the commands validate, plan, sandbox, state, config, docs,
// version and completion. Run takes its streams, environment and clock as
// parameters (Env), so that tests run whole commands in-process.
//
// Parsing and dispatch are cobra's (this file: the command tree; flags.go:
// help, usage errors and flag types; config.go: the config command and the
// profiles, package profile's, that fill in flags not given); each command
// checks its configuration in one function and runs. A validate run is
// composed by concern: validate.go (its flags and configuration), connect.go
// (the endpoint and call flags it shares with plan --sample), source.go
// (opening the inputs), paths.go and outputs.go (the output files: checked
// before any call, then their lifecycle), run.go (one validation: endpoint,
// client, journal, pipeline, summary), journal.go (the journal as the
// pipeline sees it), budgeted.go (the passes of a run under --max-calls or
// --deadline), owners.go (--owners), progress.go and listen.go (what stderr
// and --listen show meanwhile). survey.go is the call-free pass plan and
// budgets share, sample.go plan's sample; state.go the journal's commands.
// Exit codes have one home, exit.go.
package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/azotte/azvalidate/internal/suggest"
)

const usage = `azvalidate checks every ExternalId of a CSV, TSV, NDJSON, Excel or Parquet export
against Azotte's customer validate call and writes each row back, annotated.

Usage:
  azvalidate validate   [flags] [FILE|-]     validate every row (stdin when FILE is - or absent)
  azvalidate plan       [flags] [FILE|-]     no API call: ids, duplicates, near-collisions, API time
  azvalidate sandbox    [flags]              serve a local Azotte-compatible validate endpoint
  azvalidate state      SUBCOMMAND FILE      a --state journal: info, compact or export (CSV)
  azvalidate config     show|path|profiles   the settings a run would use: flags, env, profiles
  azvalidate version                         print the version (also: azvalidate -V, --version)
  azvalidate completion SHELL                a completion script: bash, zsh, fish or powershell
  azvalidate docs       man|markdown DIR     write the man pages or the Markdown reference

Run 'azvalidate COMMAND -h' (or 'azvalidate help COMMAND') for a command's flags and examples.

Try it with no setup:
  azvalidate validate --sandbox --sandbox-taken testdata/taken.txt testdata/customers.csv
`

// Run runs the command line args and returns the process exit code. Errors
// and summaries go to env.Stderr; only rows (or a command's own output) go to
// env.Stdout.
func Run(ctx context.Context, args []string, env Env) int {
	root := newRoot(env)
	root.SetArgs(goStyleHelp(args))
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	if msg := err.Error(); msg != "" {
		fmt.Fprintf(env.Stderr, "azvalidate: %s\n", msg)
	}
	return codeOf(err, exitUsage)
}

// newRoot is the command tree, its output on env's streams.
func newRoot(env Env) *cobra.Command {
	root := &cobra.Command{
		Use:  "azvalidate",
		Long: usage,
		// The top level reads its own words: a file name or a flag there
		// is a mistake worth explaining (unknownCommand), not cobra's
		// generic error.
		DisableFlagParsing: true,
		Args:               cobra.ArbitraryArgs,
		SilenceErrors:      true,
		SilenceUsage:       true,
		DisableAutoGenTag:  true, // the generated docs stay equal from one day to the next
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case len(args) == 0:
				// Help, as the answer to nothing; exit 2 as no work was done.
				fmt.Fprint(env.Stdout, usage)
				return exitError{code: exitUsage}
			case len(args) == 1 && isHelpFlag(args[0]):
				fmt.Fprint(env.Stdout, usage)
				return nil
			case args[0] == "-V" || args[0] == "--version":
				return runVersion(args[1:], env.Stdout)
			}
			return unknownCommand(args[0])
		},
	}
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	root.SetIn(env.Stdin)
	root.CompletionOptions.DisableDefaultCmd = true // ours has PowerShell's descriptions and the usage errors
	root.SetHelpFunc(func(cmd *cobra.Command, _ []string) {
		if cmd == root {
			fmt.Fprint(cmd.OutOrStdout(), usage)
			return
		}
		writeHelp(cmd.OutOrStdout(), cmd)
	})
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return withHelpHint(fmt.Errorf("%s", explain(cmd.Flags(), err)), strings.TrimPrefix(cmd.CommandPath(), "azvalidate "))
	})
	root.SetHelpCommand(&cobra.Command{
		Use:   "help [COMMAND]",
		Short: "show the help of azvalidate or of a command",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 || len(args) == 1 && (args[0] == "help" || isHelpFlag(args[0])) {
				fmt.Fprint(env.Stdout, usage)
				return nil
			}
			found, rest, err := root.Find(args)
			switch {
			case err != nil || found == root:
				return unknownCommand(args[0])
			case len(rest) > 0:
				return withHelpHint(fmt.Errorf("help takes one command, got %q", args), "")
			}
			return found.Help()
		},
	})
	// Each constructor adds its command to its parent first: a command's
	// flag set knows its path (for usage errors) once attached.
	addValidate(root, env)
	addPlan(root, env)
	addSandbox(root, env)
	addState(root)
	addConfig(root, env)
	addVersion(root)
	addCompletion(root)
	addDocs(root)
	// Each Use says where the flags go: cobra would add [flags] at the end.
	var noFlagsInUse func(*cobra.Command)
	noFlagsInUse = func(c *cobra.Command) {
		c.DisableFlagsInUseLine = true
		for _, sub := range c.Commands() {
			noFlagsInUse(sub)
		}
	}
	noFlagsInUse(root)
	return root
}

// subcommands adds to parent the command cmd, which dispatches to its own
// subcommands: a missing one is a usage error saying what cmd takes
// (takes), a mistyped one names what was likely meant.
func subcommands(parent, cmd *cobra.Command, takes string) {
	cmd.Args = cobra.ArbitraryArgs
	cmd.RunE = func(c *cobra.Command, args []string) error {
		var names []string
		for _, s := range c.Commands() {
			names = append(names, s.Name())
		}
		if len(args) == 0 {
			return withHelpHint(fmt.Errorf("%s takes %s", c.Name(), takes), c.Name())
		}
		msg := fmt.Sprintf("%s: unknown subcommand %q", c.Name(), args[0])
		if near := suggest.Closest(args[0], names); near != "" {
			msg += "; did you mean " + near + "?"
		} else {
			msg += " (want " + strings.Join(names, ", ") + ")"
		}
		return withHelpHint(fmt.Errorf("%s", msg), c.Name())
	}
	parent.AddCommand(cmd)
}

// unknownCommand is the usage error for a first word that is no command,
// with what was likely meant.
func unknownCommand(cmd string) error {
	var err error
	commands := []string{"validate", "plan", "sandbox", "state", "config", "version", "completion", "docs", "help"}
	switch {
	case strings.HasPrefix(cmd, "-"):
		err = fmt.Errorf("unknown flag %s; flags come after the command, e.g. 'azvalidate validate %s'", cmd, cmd)
	case suggest.Closest(cmd, commands) != "":
		err = fmt.Errorf("unknown command %q; did you mean %s?", cmd, suggest.Closest(cmd, commands))
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
	for _, ext := range []string{".csv", ".tsv", ".ndjson", ".jsonl", ".xlsx", ".parquet"} {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

// isHelpFlag says whether arg asks for help, as Go's flag package reads it.
func isHelpFlag(arg string) bool {
	return slices.Contains([]string{"-h", "--h", "-help", "--help"}, arg)
}

// goStyleHelp spells -help, --h and -version as pflag reads them (--help,
// --version): users of Go tools type them, and pflag would take -help for
// -h -e -l -p. Nothing after "--" is touched. The result is never nil, so
// that cobra does not read the process's own arguments.
func goStyleHelp(args []string) []string {
	out := make([]string, 0, len(args))
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		switch {
		case a == "-help" || a == "--h":
			a = "--help"
		case a == "-version" && i == 0:
			a = "--version"
		}
		out = append(out, a)
	}
	return out
}
