package cli

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"

	"github.com/parquet-go/parquet-go"

	"github.com/azotte/azvalidate/internal/console"
	"github.com/azotte/azvalidate/internal/input"
	"github.com/azotte/azvalidate/internal/output"
	"github.com/azotte/azvalidate/internal/verdict"
)

// outputs are everything a run writes rows to: the main output, the
// --changes file and the --split files.
type outputs struct {
	main, changes *outputFile
	split         *output.Split
	sink          output.Writer // main, and split if any
	rows          rowSink       // what the pipeline writes every row to
}

// rowSink takes every row of a run: those of --only go to the main output
// (and --split), the changed ones also to --changes.
type rowSink struct {
	only    verdict.Set
	main    output.Writer
	changes output.Writer // nil: no --changes
}

func (s rowSink) Write(rec *output.Record) error {
	if s.only == 0 || s.only.Has(rec.Verdict) {
		if err := s.main.Write(rec); err != nil {
			return fmt.Errorf("write output: %w", err)
		}
	}
	if s.changes != nil && rec.Changed {
		if err := s.changes.Write(rec); err != nil {
			return fmt.Errorf("write changes: %w", err)
		}
	}
	return nil
}

func openOutputs(c *validateConfig, rd *input.Files, stdout io.Writer, log *slog.Logger) (_ *outputs, err error) {
	format := c.outputFormat
	if format == input.Unknown {
		format = outputFormat(c.output, rd.Format().Output())
	}
	if c.output == "-" && format.Binary() && console.IsTerminal(stdout) {
		return nil, usageError("%s output is a binary file, not for a terminal: give -o FILE, or redirect stdout", format)
	}
	opts := output.Options{
		Format:         format,
		InputFormat:    rd.Format().Output(), // XLSX rows are fields, as CSV's
		Header:         rd.Header(),
		Columns:        len(rd.Header()),
		Comma:          outputComma(format, rd),
		ColumnPrefix:   c.columnPrefix,
		IDName:         idName(c),
		ExcelSafe:      c.excelSafe,
		NearDuplicates: c.nearDuplicates,
		UniqueColumns:  c.uniqueColumns != nil,
		AnsweredAt:     c.answeredAt,
		Owners:         c.owners,
	}
	if rd.Len() > 1 {
		for i := range rd.Len() {
			r := rd.Reader(i)
			opts.Sources = append(opts.Sources, output.Source{Name: rd.File(i).Name, InputFormat: r.Format().Output(), Header: r.Header(), Columns: len(r.Header())})
		}
		opts.Locate = rd.Locate
	}
	opts.Schema = parquetSchema(rd)
	o := &outputs{}
	defer func() {
		if err != nil {
			o.finish(errors.New("not started"), false, log, nil)
		}
	}()
	if o.main, err = openOutput(c.output, stdout, opts); err != nil {
		return o, err
	}
	o.sink = o.main.w
	if c.changes != "" {
		copts := opts
		if c.outputFormat == input.Unknown {
			copts.Format = outputFormat(c.changes, format)
			copts.Comma = outputComma(copts.Format, rd)
		}
		if o.changes, err = openOutput(c.changes, nil, copts); err != nil {
			return o, err
		}
	}
	if c.split != "" {
		if o.split, err = output.NewSplit(c.split, opts); err != nil {
			return o, fmt.Errorf("--split: %w", err)
		}
		o.sink = output.Tee(o.main.w, o.split)
	}
	o.rows = rowSink{only: c.only, main: o.sink}
	if o.changes != nil {
		o.rows.changes = o.changes.w
	}
	return o, nil
}

// outputFormat is the format the extension of name asks for (after any
// .gz): out.tsv is TSV, out.ndjson or out.jsonl NDJSON, out.csv CSV; else def.
func outputFormat(name string, def input.Format) input.Format {
	switch filepath.Ext(strings.TrimSuffix(strings.ToLower(name), ".gz")) {
	case ".csv":
		return input.CSV
	case ".tsv":
		return input.TSV
	case ".ndjson", ".jsonl":
		return input.NDJSON
	case ".xlsx":
		return input.XLSX
	case ".parquet":
		return input.Parquet
	}
	return def
}

// parquetSchema is the inputs' schema when they are all Parquet files of
// one schema, so that a Parquet output keeps their columns' types; nil
// otherwise (their columns are then strings).
func parquetSchema(rd *input.Files) *parquet.Schema {
	first := rd.Reader(0).Schema()
	for i := range rd.Len() {
		s := rd.Reader(i).Schema()
		if s == nil || first == nil || s.String() != first.String() {
			return nil
		}
	}
	return first
}

// flush writes what the writers buffer.
func (o *outputs) flush() error {
	if err := o.sink.Flush(); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	if o.changes != nil {
		if err := o.changes.w.Flush(); err != nil {
			return fmt.Errorf("write %s: %w", o.changes.name, err)
		}
	}
	return nil
}

// finish commits every output when the run finished (runErr nil), or keeps
// what was written as .partial files. facts, called once if at all, are
// the run's summary for an output that holds one (XLSX); nil: none.
func (o *outputs) finish(runErr error, wrote bool, log *slog.Logger, facts func() []output.Fact) error {
	var fs []output.Fact
	if facts != nil && o.binary() {
		fs = facts()
	}
	var errs []error
	for _, f := range []*outputFile{o.main, o.changes} {
		if f != nil {
			errs = append(errs, f.finish(runErr, wrote, log, fs))
		}
	}
	if o.split != nil {
		endErr := o.split.End(fs)
		switch {
		case runErr == nil && endErr == nil:
			errs = append(errs, o.split.Commit())
		case runErr == nil:
			o.split.Abandon(false)
			errs = append(errs, endErr)
		default:
			errs = append(errs, o.split.Abandon(wrote && endErr == nil))
		}
	}
	return errors.Join(errs...)
}

// binary reports whether an output is a file format that ends with a
// summary or a footer (see output.Ender).
func (o *outputs) binary() bool {
	for _, w := range []output.Writer{o.sink, o.rows.changes} {
		if _, ok := w.(output.Ender); ok {
			return true
		}
	}
	return o.split != nil && o.split.Binary()
}

// rowsKept is, when writing the main output file failed (a full disk), the
// number of rows its FILE.partial holds: fewer than the rows decided.
func (o *outputs) rowsKept() (int64, bool) {
	if o == nil || o.main == nil || o.main.file == nil || o.main.file.Err() == nil || o.main.lost {
		return 0, false
	}
	s, ok := o.main.w.(interface{ Stored() int64 })
	if !ok {
		return 0, false
	}
	return s.Stored(), true
}

// outputFile is an output: stdout, or a file that appears complete or not at all.
type outputFile struct {
	name string
	file *output.File // nil for stdout
	w    output.Writer
	lost bool // the run's rows were not kept: the file could not be ended
}

// openOutput opens name ("-" is stdout) for rows in opts' format.
func openOutput(name string, stdout io.Writer, opts output.Options) (*outputFile, error) {
	o := &outputFile{name: name}
	dst := stdout
	if name != "-" {
		f, err := output.Create(name)
		if err != nil {
			return nil, err
		}
		o.file, dst = f, f
	}
	w, err := output.New(dst, opts)
	if err != nil {
		if o.file != nil {
			o.file.Abandon(false)
		}
		return nil, err
	}
	o.w = w
	return o, nil
}

// finish ends the rows (a Parquet footer, a workbook; facts are the
// run's summary for one), then makes the file appear complete, or, when
// the run did not finish, keeps what was written (if anything) as
// FILE.partial and says so. A file that could not be ended is not kept.
func (o *outputFile) finish(runErr error, wrote bool, log *slog.Logger, facts []output.Fact) error {
	endErr := output.End(o.w, facts)
	if endErr != nil && !strings.Contains(endErr.Error(), o.name) {
		endErr = fmt.Errorf("write %s: %w", o.name, endErr)
	}
	if o.file == nil {
		return endErr
	}
	// A write that End made and that failed (a Parquet footer's), End having
	// ended the file on what it wrote whole: the run did not finish.
	var failed error
	if runErr == nil && endErr == nil && o.file.Err() != nil {
		failed = fmt.Errorf("write %s: %w", o.name, o.file.Err())
		runErr = failed
	}
	if runErr == nil {
		if endErr != nil {
			o.file.Abandon(false)
			return endErr
		}
		return o.file.Commit()
	}
	if endErr != nil && wrote {
		log.Warn(endErr.Error() + "; the rows done are not kept")
		wrote, o.lost = false, true
	}
	if err := o.file.Abandon(wrote); err != nil {
		return err
	}
	if wrote {
		log.Warn("run did not finish; the rows done, in order, are in "+o.name+".partial", "file", o.name+".partial")
	}
	return failed
}

func outputComma(f input.Format, rd *input.Files) rune {
	if f == rd.Format() {
		return rd.Delimiter()
	}
	if f == input.TSV {
		return '\t'
	}
	return ','
}

func idName(c *validateConfig) string {
	if c.in.IDColumn != "" && c.in.Format != input.NDJSON {
		return c.in.IDColumn
	}
	return c.in.IDField
}
