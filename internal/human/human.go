// Package human formats numbers, sizes and durations for people: the one
// place where the summary, the plan, the reports and the progress line agree
// on how "1,204,331", "38.6 kB" or "41 h 49 min" look.
package human

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Count formats n with thousands separators: 1204331 -> "1,204,331".
func Count(n int64) string {
	if n < 0 {
		return "-" + Count(-n)
	}
	s := strconv.FormatInt(n, 10)
	b := make([]byte, 0, len(s)+len(s)/3)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, s[i])
	}
	return string(b)
}

// Plural says "1 group", "2 groups", "1,024 groups".
func Plural(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return Count(n) + " " + noun + "s"
}

// Bytes formats a size in SI units: 999 -> "999 B", 38612 -> "38.6 kB".
func Bytes(n int64) string {
	if n < 1000 {
		return strconv.FormatInt(n, 10) + " B"
	}
	f, i := float64(n), 0
	for f >= 1000 && i < 4 {
		f /= 1000
		i++
	}
	return strconv.FormatFloat(f, 'f', 1, 64) + " " + "kMGT"[i-1:i] + "B"
}

// Percent is n as a share of total with one decimal, "4.0%"; "-" when total is 0.
func Percent(n, total int64) string {
	if total == 0 {
		return "-"
	}
	return strconv.FormatFloat(100*float64(n)/float64(total), 'f', 1, 64) + "%"
}

// Rate formats a per-second rate: whole and grouped from 100 up, else one decimal.
func Rate(r float64) string {
	if r >= 100 || r == 0 {
		return Count(int64(math.Round(r)))
	}
	return strconv.FormatFloat(r, 'f', 1, 64)
}

// Duration shows a measured duration with about three significant digits:
// "1.25s", "312.5ms", "4m13s"; math.MaxInt64 is "∞".
func Duration(d time.Duration) string {
	switch {
	case d == math.MaxInt64:
		return "∞"
	case d >= time.Minute:
		return d.Round(time.Second).String()
	case d >= time.Second:
		return d.Round(10 * time.Millisecond).String()
	case d >= 10*time.Millisecond:
		return d.Round(100 * time.Microsecond).String()
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	}
	return d.Round(time.Microsecond).String()
}

// Typed shows a duration as a user types it on a command line: 24h
// rather than 24h0m0s, 1h30m rather than 1h30m0s.
func Typed(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// Span shows a planned span of time in words: "37 s", "12 min 5 s", "41 h 49 min".
func Span(d time.Duration) string {
	secs := d.Seconds()
	s := int64(math.Round(secs))
	switch {
	case s < 60:
		return fmt.Sprintf("%d s", s)
	case s < 3600:
		return fmt.Sprintf("%d min %d s", s/60, s%60)
	}
	m := int64(math.Round(secs / 60))
	return fmt.Sprintf("%d h %d min", m/60, m%60)
}

// Quote quotes s for a message or a table so that what is invisible shows:
// like strconv.QuoteToGraphic, but spaces other than U+0020 (a no-break
// space) and format characters (a zero-width space) are escaped too, so that
// "crm-1\u00a0" never looks like "crm-1 ".
func Quote(s string) string {
	b := []byte{'"'}
	for _, r := range s {
		q := strconv.QuoteToGraphic(string(r))
		if r != ' ' && (unicode.IsSpace(r) || unicode.Is(unicode.Cf, r)) {
			q = strconv.QuoteToASCII(string(r))
		}
		b = append(b, q[1:len(q)-1]...)
	}
	return string(append(b, '"'))
}
