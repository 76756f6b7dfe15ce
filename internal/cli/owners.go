package cli

import (
	"encoding/json"
	"strconv"
	"strings"

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
// header lacks is an error; the default one missing is not.
func emailOf(c *validateConfig, name string, rd *input.Reader) (func(input.Row) (string, bool), error) {
	file := name
	name = c.emailColumn
	if name == "" {
		name = defaultEmailColumn
	}
	if rd.Format() == input.NDJSON {
		return func(row input.Row) (string, bool) { return ndjsonField(row.Raw, name) }, nil
	}
	i := -1
	if c.in.NoHeader {
		n, err := strconv.Atoi(c.emailColumn)
		if c.emailColumn != "" && (err != nil || n < 1) {
			return nil, usageError("--email-column with --no-header must be a column number from 1, got %q", c.emailColumn)
		}
		if c.emailColumn == "" {
			return nil, nil // no header, no name to find
		}
		i = n - 1
	} else {
		i = columnIndex(rd.Header(), name)
		if i < 0 {
			if c.emailColumn != "" {
				return nil, usageError("%s: no column %q in header (columns: %s); use --email-column", file, name, strings.Join(rd.Header(), ", "))
			}
			return nil, nil
		}
	}
	return func(row input.Row) (string, bool) {
		if i >= len(row.Fields) {
			return "", false
		}
		return row.Fields[i], true
	}, nil
}

// columnIndex finds name in header, exactly, then in any case; -1 when
// absent.
func columnIndex(header []string, name string) int {
	for i, h := range header {
		if h == name {
			return i
		}
	}
	for i, h := range header {
		if strings.EqualFold(h, name) {
			return i
		}
	}
	return -1
}

// ndjsonField returns the string value of the top-level field name of an
// NDJSON object, found exactly, then in any case.
func ndjsonField(raw []byte, name string) (string, bool) {
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return "", false
	}
	v, ok := obj[name]
	if !ok {
		for k, kv := range obj {
			if strings.EqualFold(k, name) {
				v, ok = kv, true
				break
			}
		}
	}
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
