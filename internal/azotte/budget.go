package azotte

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Budget is what the X-RateLimit-Remaining and X-RateLimit-Reset headers of
// one answer announce: Remaining requests may be sent until Reset.
type Budget struct {
	Remaining float64   // requests left until Reset; never negative
	Reset     time.Time // when the budget is renewed
	OK        bool      // both headers were present and numeric; else the other fields are zero
}

// ParseBudget reads X-RateLimit-Remaining and X-RateLimit-Reset from h, an
// answer received at now. Reset is a Unix time when above 1e9 (as Azotte's
// example shows), else seconds from now (as other APIs send); fractions are
// accepted. The budget is not OK unless both headers hold finite numbers no
// above 1e12 and Reset is not negative. A negative Remaining counts
// as 0.
func ParseBudget(h http.Header, now time.Time) Budget {
	if h == nil {
		return Budget{}
	}
	rem, okRem := parseNumber(h.Get(HeaderRateRemaining))
	v, okReset := parseNumber(h.Get(HeaderRateReset))
	if !okRem || !okReset || v < 0 {
		return Budget{}
	}
	var reset time.Time
	if v > 1e9 {
		sec, frac := math.Modf(v)
		reset = time.Unix(int64(sec), int64(frac*1e9))
	} else {
		reset = now.Add(time.Duration(v * float64(time.Second)))
	}
	return Budget{Remaining: max(rem, 0), Reset: reset, OK: true}
}

// parseNumber parses a finite decimal number; values above 1e12 are absurd
// and refused.
func parseNumber(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v > 1e12 {
		return 0, false
	}
	return v, true
}
