package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/azotte/azvalidate/internal/input"
)

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

// inputFlags are the flags that say how to read an input, as validate and
// plan both take them: addInputFlags registers them, apply checks them and
// completes the input.Config.
type inputFlags struct {
	format, idColumn, delimiter string
}

// addInputFlags registers on fs the flags that fill in.
func addInputFlags(fs *flag.FlagSet, in *input.Config) *inputFlags {
	f := &inputFlags{}
	fs.StringVar(&f.format, "format", "", "input format csv|tsv|ndjson (default: from the extension, else sniffed)")
	fs.StringVar(&f.idColumn, "id-column", "externalId", "CSV/TSV id column `NAME` (exact, then case-insensitive), or its 1-based number with --no-header")
	fs.BoolVar(&in.NoHeader, "no-header", false, "CSV/TSV input has no header row (use --id-column N)")
	fs.StringVar(&f.delimiter, "delimiter", "", "CSV/TSV field separator `C` (default , for CSV, tab for TSV; \\t or tab accepted)")
	fs.StringVar(&in.IDField, "id-field", "externalId", "NDJSON id field `PATH`, dotted for nested objects (customer.externalId)")
	fs.IntVar(&in.MaxRecordBytes, "max-field-bytes", 1<<20, "a row longer than this many `bytes` becomes an invalid row instead of using memory without bound")
	fs.BoolVar(&in.Trim, "trim", false, "strip white space around ids (without it, padded ids are sent as is and warned about)")
	return f
}

// apply checks the input flags once parsed and completes in; set holds the
// names of the flags given.
func (f *inputFlags) apply(in *input.Config, set map[string]bool) error {
	var err error
	if f.format != "" {
		if in.Format, err = input.ParseFormat(f.format); err != nil {
			return usageError("--format: %v", err)
		}
	}
	if in.NoHeader {
		n, err := strconv.Atoi(f.idColumn)
		switch {
		case !set["id-column"]:
			n = 1
		case err != nil || n < 1:
			return usageError("--no-header needs --id-column N, a column number from 1 (got %q)", f.idColumn)
		}
		in.IDIndex = n
	} else {
		in.IDColumn = f.idColumn
	}
	if f.delimiter != "" {
		if in.Delimiter, err = input.ParseDelimiter(f.delimiter); err != nil {
			return usageError("--%v", err)
		}
	}
	if in.MaxRecordBytes < 1 {
		return usageError("--max-field-bytes must be positive, got %d", in.MaxRecordBytes)
	}
	return nil
}
