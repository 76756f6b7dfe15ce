package cli

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/azotte/azvalidate/internal/budget"
	"github.com/azotte/azvalidate/internal/human"
	"github.com/azotte/azvalidate/internal/input"
	"github.com/azotte/azvalidate/internal/suggest"
)

// helpWidth is the widest line a help text may have.
const helpWidth = 100

// flagSet is a command's flags (cobra's pflag set) with the command's name,
// for the usage errors that point to its help.
type flagSet struct {
	*pflag.FlagSet
	name string // "validate", "config show"
}

// flagsOf is cmd's flag set; cmd must be attached to the root already, so
// that its path is known.
func flagsOf(cmd *cobra.Command) *flagSet {
	return &flagSet{FlagSet: cmd.Flags(), name: strings.TrimPrefix(cmd.CommandPath(), "azvalidate ")}
}

// usageError is a usage error of this command: the message, then where its
// help is.
func (fs *flagSet) usageError(format string, args ...any) error {
	return withHelpHint(fmt.Errorf(format, args...), fs.name)
}

// withHelpHint adds to err the line that points to the help of cmd ("" for
// the top level).
func withHelpHint(err error, cmd string) error {
	if cmd != "" {
		cmd = " " + cmd
	}
	return fmt.Errorf("%w\nsee 'azvalidate%s -h'", err, cmd)
}

// files checks the input FILEs of a command that reads them, one after
// another ("-", or nothing, for stdin, which may be one of them once).
func (fs *flagSet) files(pos []string) ([]string, error) {
	if len(pos) == 0 {
		return []string{"-"}, nil
	}
	seen := map[string]bool{}
	for _, p := range pos {
		switch {
		case seen[p] && p == "-":
			return nil, fs.usageError("stdin (-) may be one of the input FILEs once only")
		case seen[p]:
			// Its rows would all be duplicates of its own: surely a typo.
			return nil, fs.usageError("input %s is given twice", p)
		}
		seen[p] = true
	}
	return pos, nil
}

// explain says what pflag's parse error means in the terms of the help,
// with a suggestion for an unknown flag (pflag has none).
func explain(fs *pflag.FlagSet, err error) string {
	var unknown *pflag.NotExistError
	var needs *pflag.ValueRequiredError
	var bad *pflag.InvalidValueError
	switch {
	case errors.As(err, &unknown):
		typed := unknown.GetSpecifiedName()
		s := "unknown flag " + dashes(typed)
		var names []string
		fs.VisitAll(func(f *pflag.Flag) { names = append(names, f.Name) })
		if near := suggest.Closest(typed, names); near != "" {
			s += "; did you mean " + dashes(near) + "?"
		}
		return s
	case errors.As(err, &needs):
		return dashes(needs.GetFlag().Name) + " needs a value"
	case errors.As(err, &bad):
		name, value := dashes(bad.GetFlag().Name), strconv.Quote(bad.GetValue())
		switch why := errors.Unwrap(bad).Error(); {
		case bad.GetFlag().Value.Type() == "bool":
			return fmt.Sprintf("%s takes true or false, got %s", name, value)
		case strings.HasPrefix(why, "must be an integer"), strings.HasPrefix(why, "must be a number"):
			return fmt.Sprintf("%s: %s is not a number", name, value)
		default:
			return name + ": " + why
		}
	}
	return err.Error()
}

// dashes is a flag's name as the help shows it: -o, --output.
func dashes(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// writeHelp writes cmd's help: its synopsis (Long), its flags GNU-style
// with their defaults, and its examples. Descriptions go on lines of their
// own, so that long flag names leave them the width.
func writeHelp(w io.Writer, cmd *cobra.Command) {
	fmt.Fprintf(w, "Usage: %s\n\n%s\n", cmd.UseLine(), strings.TrimSpace(cmd.Long))
	var flags strings.Builder
	cmd.LocalFlags().VisitAll(func(f *pflag.Flag) {
		if f.Name != "help" && !f.Hidden {
			printFlag(&flags, f)
		}
	})
	if flags.Len() > 0 {
		fmt.Fprintf(w, "\nFlags:\n%s", flags.String())
	}
	if cmd.Example != "" {
		fmt.Fprintf(w, "\nExamples:\n%s", cmd.Example)
	}
}

func printFlag(w io.Writer, f *pflag.Flag) {
	const indent = "      "
	name, usage := pflag.UnquoteUsage(f)
	line := "  --" + f.Name
	if f.Shorthand != "" {
		line = "  -" + f.Shorthand + ", --" + f.Name
	}
	if name != "" {
		line += " " + name
	}
	lines := wrap(usage, helpWidth-len(indent))
	switch f.DefValue {
	case "", "false", "0", "0s", "[]":
	default: // kept whole, on the last line if it fits
		def := fmt.Sprintf("(default %s)", f.DefValue)
		if last := &lines[len(lines)-1]; len(*last)+1+len(def) <= helpWidth-len(indent) {
			*last += " " + def
		} else {
			lines = append(lines, def)
		}
	}
	fmt.Fprintln(w, line)
	for _, l := range lines {
		fmt.Fprintln(w, indent+l)
	}
}

// wrap breaks text into lines of at most width bytes at spaces (a longer
// word gets a line of its own).
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		switch {
		case line == "":
			line = w
		case len(line)+1+len(w) <= width:
			line += " " + w
		default:
			lines = append(lines, line)
			line = w
		}
	}
	return append(lines, line)
}

// durationValue is a duration flag that refuses a number without a unit
// ("--timeout 5": seconds? milliseconds?) and says what to type instead.
type durationValue struct{ p *time.Duration }

// durationVar defines a duration flag checked as durationValue is.
func durationVar(fs *flagSet, p *time.Duration, name string, value time.Duration, usage string) {
	*p = value
	fs.Var(durationValue{p}, name, usage)
}

func (d durationValue) Set(s string) error {
	if _, err := strconv.ParseFloat(s, 64); err == nil && s != "0" {
		return fmt.Errorf("%q has no unit; did you mean %ss?", s, s)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration such as 500ms, 30s, 5m or 1h30m", s)
	}
	*d.p = v
	return nil
}

// String is the duration as a user types it: 24h rather than 24h0m0s.
func (d durationValue) String() string {
	if d.p == nil {
		return ""
	}
	return human.Typed(*d.p)
}

func (durationValue) Type() string { return "duration" }

// rateValue is a rate flag: requests per second, finite and 0 or more. NaN
// would pace nothing and compare false with every bound; Inf would divide
// into zero waits.
type rateValue struct{ p *float64 }

// rateVar defines a rate flag checked as rateValue is.
func rateVar(fs *flagSet, p *float64, name string, value float64, usage string) {
	*p = value
	fs.Var(rateValue{p}, name, usage)
}

func (r rateValue) Set(s string) error {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return fmt.Errorf("%q is not a rate: give requests per second, 0 or more (0 = no limit)", s)
	}
	*r.p = v
	return nil
}

func (r rateValue) String() string {
	if r.p == nil {
		return ""
	}
	return strconv.FormatFloat(*r.p, 'g', -1, 64)
}

func (rateValue) Type() string { return "float" }

// inputFlags are the flags that say how to read an input, as validate and
// plan both take them: addInputFlags registers them, apply checks them and
// completes the input.Config.
type inputFlags struct {
	format, idColumn, delimiter string
}

// addInputFlags registers on fs the flags that fill in.
func addInputFlags(fs *flagSet, in *input.Config) *inputFlags {
	f := &inputFlags{}
	fs.StringVar(&f.format, "format", "", "input format csv|tsv|ndjson|xlsx|parquet (default: from the extension, else sniffed)")
	fs.StringVar(&f.idColumn, "id-column", "externalId", "CSV/TSV/XLSX/Parquet id column `NAME` (exact, then case-insensitive; Parquet: dotted for a nested group), or its 1-based number with --no-header")
	fs.BoolVar(&in.NoHeader, "no-header", false, "CSV/TSV input has no header row (use --id-column N)")
	fs.StringVar(&f.delimiter, "delimiter", "", "CSV/TSV field separator `C` (default , for CSV, tab for TSV; \\t or tab accepted)")
	fs.StringVar(&in.IDField, "id-field", "externalId", "NDJSON id field `PATH`, dotted for nested objects (customer.externalId)")
	fs.IntVar(&in.MaxRecordBytes, "max-field-bytes", 1<<20, "a row longer than this many `bytes` becomes an invalid row instead of using memory without bound")
	fs.StringVar(&in.Sheet, "sheet", "", "XLSX sheet `NAME` to read (default: the first)")
	fs.BoolVar(&in.Trim, "trim", false, "strip white space around ids (without it, padded ids are sent as is and warned about)")
	return f
}

// apply checks the input flags once parsed and completes in; set holds the
// names of the flags given.
func (f *inputFlags) apply(fs *flagSet, in *input.Config, set map[string]bool) error {
	var err error
	if f.format != "" {
		if in.Format, err = input.ParseFormat(f.format); err != nil {
			return fs.usageError("--format: %v", err)
		}
	}
	if in.NoHeader {
		n, err := strconv.Atoi(f.idColumn)
		switch {
		case !set["id-column"]:
			n = 1
		case err != nil || n < 1:
			return fs.usageError("--no-header needs --id-column N, a column number from 1 (got %q)", f.idColumn)
		}
		in.IDIndex = n
	} else {
		in.IDColumn = f.idColumn
	}
	if f.delimiter != "" {
		if in.Delimiter, err = input.ParseDelimiter(f.delimiter); err != nil {
			return fs.usageError("--%v", err)
		}
	}
	if in.MaxRecordBytes < 1 {
		return fs.usageError("--max-field-bytes must be positive, got %d", in.MaxRecordBytes)
	}
	return nil
}

// addBudgetFlags registers on fs the flags that bound a run, as validate
// and plan both take them; checkBudget checks them once parsed.
func addBudgetFlags(fs *flagSet, b *budget.Budget) {
	fs.IntVar(&b.MaxCalls, "max-calls", 0, "ask about at most `N` ids this run (retries not counted): ids never answered first, in input order, then the oldest expired answers; 0 = no limit")
	durationVar(fs, &b.Deadline, "deadline", 0, "start no new call after this long (e.g. 6h), with the order of --max-calls; every row is still written; 0 = none")
}

func checkBudget(fs *flagSet, b budget.Budget) error {
	if b.MaxCalls < 0 {
		return fs.usageError("--max-calls must be 0 (no limit) or more, got %d", b.MaxCalls)
	}
	if b.Deadline < 0 {
		return fs.usageError("--deadline must be 0 (none) or more, got %v", b.Deadline)
	}
	return nil
}
