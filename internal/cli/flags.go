package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/azotte/azvalidate/internal/budget"
	"github.com/azotte/azvalidate/internal/human"
	"github.com/azotte/azvalidate/internal/input"
)

// helpWidth is the widest line a help text may have.
const helpWidth = 100

// flagSet is a command's flags and its help. Its -h writes the help to out
// and stops the command successfully; a parse error is a short usage error
// (the problem, a suggestion, a pointer to -h), never the help itself.
type flagSet struct {
	*flag.FlagSet
	out  io.Writer
	help func(io.Writer)
}

// newFlagSet returns the flag set of command name, whose -h prints to out
// the synopsis, the flags with their defaults, and the examples.
func newFlagSet(name, synopsis, examples string, out io.Writer) *flagSet {
	fs := &flagSet{FlagSet: flag.NewFlagSet(name, flag.ContinueOnError), out: out}
	// The flag package would print its own message and the whole help on
	// every error: parse reports errors instead.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.help = func(w io.Writer) {
		fmt.Fprintf(w, "%s\n\nFlags:\n", strings.TrimSpace(synopsis))
		printFlags(w, fs.FlagSet)
		fmt.Fprintf(w, "\nExamples:\n%s", examples)
	}
	return fs
}

// errHelpShown stops a command whose help was asked for: exit 0, nothing
// more to say.
var errHelpShown = exitError{code: exitOK}

// parse parses flags that may come before, between or after the positional
// arguments (users type 'validate x.csv --rate 10'); the standard flag
// package stops at the first non-flag. After "--" all is positional.
func (fs *flagSet) parse(args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.help(fs.out)
				return nil, errHelpShown
			}
			return nil, fs.usageError("%s", fs.explain(err))
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

// parseFiles parses the flags of a command that reads input FILEs, one
// after another ("-", or nothing, for stdin, which may be one of them once).
// set holds the flags given explicitly.
func (fs *flagSet) parseFiles(args []string) (files []string, set map[string]bool, err error) {
	pos, err := fs.parse(args)
	if err != nil {
		return nil, nil, err
	}
	set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if len(pos) == 0 {
		return []string{"-"}, set, nil
	}
	seen := map[string]bool{}
	for _, p := range pos {
		switch {
		case seen[p] && p == "-":
			return nil, nil, fs.usageError("stdin (-) may be one of the input FILEs once only")
		case seen[p]:
			// Its rows would all be duplicates of its own: surely a typo.
			return nil, nil, fs.usageError("input %s is given twice", p)
		}
		seen[p] = true
	}
	return pos, set, nil
}

// usageError is a usage error of this command: the message, then where its
// help is.
func (fs *flagSet) usageError(format string, args ...any) error {
	return withHelpHint(fmt.Errorf(format, args...), fs.Name())
}

// withHelpHint adds to err the line that points to the help of cmd ("" for
// the top level).
func withHelpHint(err error, cmd string) error {
	if cmd != "" {
		cmd = " " + cmd
	}
	return fmt.Errorf("%w\nsee 'azvalidate%s -h'", err, cmd)
}

// The flag package's error messages, as of Go 1.26; explain rewrites them.
var (
	errUndefined = regexp.MustCompile(`^flag provided but not defined: -(.*)$`)
	errNeedsArg  = regexp.MustCompile(`^flag needs an argument: -(.*)$`)
	errBadValue  = regexp.MustCompile(`^invalid (boolean )?value ("(?:[^"\\]|\\.)*") for (?:flag )?-([^:]+): (.*)$`)
)

// explain says what a parse error means in the terms of the help (--name),
// with a suggestion for an unknown flag.
func (fs *flagSet) explain(err error) string {
	msg := err.Error()
	if m := errUndefined.FindStringSubmatch(msg); m != nil {
		s := "unknown flag " + dashes(m[1])
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		if near := closest(m[1], names); near != "" {
			s += "; did you mean " + dashes(near) + "?"
		}
		return s
	}
	if m := errNeedsArg.FindStringSubmatch(msg); m != nil {
		return dashes(m[1]) + " needs a value"
	}
	if m := errBadValue.FindStringSubmatch(msg); m != nil {
		value, name, why := m[2], dashes(m[3]), m[4]
		switch {
		case m[1] != "":
			return fmt.Sprintf("%s takes true or false, got %s", name, value)
		case why == "parse error":
			return fmt.Sprintf("%s: %s is not a number", name, value)
		case why == "value out of range":
			return fmt.Sprintf("%s: %s is out of range", name, value)
		}
		return name + ": " + why
	}
	return msg
}

// dashes is a flag's name as the help shows it: -o, --output.
func dashes(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// closest is the candidate the user most likely meant by typed: the only
// candidate typed is a prefix of, else the nearest by edit distance if near
// enough to be a typo; "" if none.
func closest(typed string, candidates []string) string {
	best, bestDist := "", len(typed)/3+1 // a typo a third of the word long at most
	if len(typed) < 3 {
		bestDist = 0 // -x is no typo of -o
	}
	var prefixed []string
	for _, c := range candidates {
		if d := editDistance(typed, c); d <= bestDist && (best == "" || d < bestDist) {
			best, bestDist = c, d
		}
		if len(typed) >= 2 && strings.HasPrefix(c, typed) {
			prefixed = append(prefixed, c)
		}
	}
	if len(prefixed) == 1 {
		best = prefixed[0]
	}
	if best == typed {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance of a and b, counting a swap of two
// neighbouring letters as one edit (the commonest typo).
func editDistance(a, b string) int {
	x, y := []rune(a), []rune(b)
	// d[i][j] is the distance of x[:i] and y[:j].
	d := make([][]int, len(x)+1)
	for i := range d {
		d[i] = make([]int, len(y)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(x); i++ {
		for j := 1; j <= len(y); j++ {
			cost := 1
			if x[i-1] == y[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && x[i-1] == y[j-2] && x[i-2] == y[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(x)][len(y)]
}

// shortFlags are one-letter aliases, printed beside their long flag.
var shortFlags = map[string]string{"output": "o", "quiet": "q", "verbose": "v"}

// printFlags lists flags GNU-style (--name VALUE), aliases together, with
// their defaults; descriptions wrap to fit helpWidth.
func printFlags(out io.Writer, fs *flag.FlagSet) {
	const indent = "      "
	fs.VisitAll(func(f *flag.Flag) {
		if len(f.Name) == 1 {
			return // printed with its long form
		}
		name, usage := flag.UnquoteUsage(f)
		if v, ok := f.Value.(interface{ valueName() string }); ok && !strings.Contains(f.Usage, "`") {
			name = v.valueName()
		}
		line := "  --" + f.Name
		if short, ok := shortFlags[f.Name]; ok && fs.Lookup(short) != nil {
			line = "  -" + short + ", --" + f.Name
		}
		if name != "" {
			line += " " + name
		}
		lines := wrap(usage, helpWidth-len(indent))
		switch f.DefValue {
		case "", "false", "0", "0s":
		default: // kept whole, on the last line if it fits
			def := fmt.Sprintf("(default %s)", f.DefValue)
			if last := &lines[len(lines)-1]; len(*last)+1+len(def) <= helpWidth-len(indent) {
				*last += " " + def
			} else {
				lines = append(lines, def)
			}
		}
		fmt.Fprintln(out, line)
		for _, l := range lines {
			fmt.Fprintln(out, indent+l)
		}
	})
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

func (durationValue) valueName() string { return "duration" }

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

func (rateValue) valueName() string { return "float" }

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

// stringList is a flag that may be given several times, each adding one value.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }
