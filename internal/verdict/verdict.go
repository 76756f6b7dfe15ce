// Package verdict names the one outcome each input row gets, and sets of them
// (for --only and for per-verdict counters).
package verdict

import (
	"fmt"
	"strings"
)

// Verdict is the outcome of one input row. The zero value is not a verdict.
type Verdict uint8

// The verdicts, in the order summaries list them.
const (
	Available Verdict = iota + 1 // Azotte says isAvailable: true
	Taken                        // Azotte says isAvailable: false
	Duplicate                    // id seen on an earlier row; that row's answer reused
	Invalid                      // no usable id (empty, missing, malformed row)
	Error                        // no answer after retries
	Unchecked                    // a budget ran out before the id was asked, and no answer is known
)

// All lists every verdict in summary order.
var All = []Verdict{Available, Taken, Duplicate, Invalid, Error, Unchecked}

var names = [...]string{"", "available", "taken", "duplicate", "invalid", "error", "unchecked"}

// String returns the verdict's name as written in output files.
func (v Verdict) String() string {
	if int(v) < len(names) {
		return names[v]
	}
	return fmt.Sprintf("verdict(%d)", v)
}

// Parse turns a verdict name into a Verdict.
func Parse(s string) (Verdict, error) {
	for _, v := range All {
		if names[v] == s {
			return v, nil
		}
	}
	return 0, fmt.Errorf("unknown verdict %q (want one of %s)", s, strings.Join(names[1:], ", "))
}

// Set is a set of verdicts; the zero Set is empty.
type Set uint8

// Has reports whether v is in the set.
func (s Set) Has(v Verdict) bool { return s&(1<<v) != 0 }

// Add returns the set with v added.
func (s Set) Add(v Verdict) Set { return s | 1<<v }

// ParseSet parses a comma-separated list such as "taken,duplicate,error".
func ParseSet(list string) (Set, error) {
	var s Set
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		v, err := Parse(name)
		if err != nil {
			return 0, err
		}
		s = s.Add(v)
	}
	if s == 0 {
		return 0, fmt.Errorf("empty verdict list %q", list)
	}
	return s, nil
}

// String lists the set's verdicts, comma-separated, in summary order.
func (s Set) String() string {
	var parts []string
	for _, v := range All {
		if s.Has(v) {
			parts = append(parts, v.String())
		}
	}
	return strings.Join(parts, ",")
}
