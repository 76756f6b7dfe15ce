package cli

import (
	"encoding/json"
	"errors"

	"github.com/azotte/azvalidate/internal/input"
	"github.com/azotte/azvalidate/internal/output"
	"github.com/azotte/azvalidate/internal/report"
	"github.com/azotte/azvalidate/internal/verdict"
)

// defaultEmailColumn is the column or field --owners compares, in any case,
// unless --email-column names another.
const defaultEmailColumn = "email"

// emailOf returns how to read a row's email for --owners: nil when the
// export has no email column (sameEmail stays empty). A --email-column the
// header lacks is an error, the default one missing is not; an ambiguous
// one (input.FindColumn), default or not, is.
func emailOf(c *validateConfig, name string, rd *input.Reader) (func(input.Row) (string, bool), error) {
	file := name
	name = c.emailColumn
	if name == "" {
		name = defaultEmailColumn
	}
	if rd.Format() == input.NDJSON {
		f := input.NewField(name)
		return func(row input.Row) (string, bool) { return ndjsonField(row.Raw, f) }, nil
	}
	i, err := input.FindColumn(rd.Header(), name) // no header (nil): name is a number
	var ce *input.ColumnError
	switch {
	case err == nil:
	case c.emailColumn == "" && errors.As(err, &ce) && !ce.Ambiguous():
		return nil, nil // the default absent, or no header to find it in
	case c.in.NoHeader:
		return nil, usageError("--email-column with --no-header must be a column number from 1, got %q", c.emailColumn)
	default:
		return nil, usageError("%s: %v; use --email-column", file, err)
	}
	return func(row input.Row) (string, bool) {
		if i >= len(row.Fields) {
			return "", false
		}
		return row.Fields[i], true
	}, nil
}

// ndjsonField returns the string value of field f of an NDJSON object.
func ndjsonField(raw []byte, f input.Field) (string, bool) {
	v, ok := f.Find(raw)
	var s string
	if !ok || json.Unmarshal(v, &s) != nil {
		return "", false
	}
	return s, true
}

// countOwners returns an observer of the written rows that counts the
// taken ids by who holds them, into counts.
func countOwners(counts *report.OwnerCounts, next func(*output.Record)) func(*output.Record) {
	return func(rec *output.Record) {
		if rec.Verdict == verdict.Taken {
			switch o := rec.Owner; {
			case o.SameEmail == output.MatchSame:
				counts.SameCustomer++
			case o.SameEmail == output.MatchOther:
				counts.OtherCustomer++
			case o.URN != "":
				counts.NoEmail++
			case o.Gone:
				counts.NotFound++
			default:
				counts.Unknown++
			}
		}
		if next != nil {
			next(rec)
		}
	}
}
