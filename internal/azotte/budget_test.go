package azotte_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/azotte/azvalidate/internal/azotte"
)

// budgetHeader is a response header with X-RateLimit-Remaining and -Reset.
func budgetHeader(remaining, reset string) http.Header {
	h := http.Header{}
	if remaining != "" {
		h.Set(azotte.HeaderRateRemaining, remaining)
	}
	if reset != "" {
		h.Set(azotte.HeaderRateReset, reset)
	}
	return h
}

func TestParseBudget(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(1_700_000_000, 0)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	unix := strconv.FormatInt(t0.Unix()+30, 10)
	tests := []struct {
		name             string
		remaining, reset string
		wantRem          float64
		wantReset        time.Time
		ok               bool
	}{
		{"relative seconds", "50", "2", 50, ms(2000), true},
		{"relative fraction", "5", "0.25", 5, ms(250), true},
		{"Unix time", "999", unix, 999, t0.Add(30 * time.Second), true},
		{"Unix time with fraction", "1", unix + ".5", 1, t0.Add(30500 * time.Millisecond), true},
		{"Azotte's example", "999", "1640995200", 999, time.Unix(1640995200, 0), true},
		{"1e9 is still relative", "1", "1000000000", 1, t0.Add(1e9 * time.Second), true},
		{"spaces", " 7 ", " 3 ", 7, ms(3000), true},
		{"zero reset", "4", "0", 4, t0, true},
		{"fractional remaining", "2.5", "1", 2.5, ms(1000), true},
		{"negative remaining is none", "-3", "1", 0, ms(1000), true},
		{"no remaining", "", "2", 0, time.Time{}, false},
		{"no reset", "50", "", 0, time.Time{}, false},
		{"reset not a number", "50", "soon", 0, time.Time{}, false},
		{"reset an HTTP date", "50", "Wed, 21 Oct 2015 07:28:00 GMT", 0, time.Time{}, false},
		{"negative reset", "50", "-1", 0, time.Time{}, false},
		{"remaining not a number", "lots", "2", 0, time.Time{}, false},
		{"NaN", "NaN", "2", 0, time.Time{}, false},
		{"Inf reset", "5", "Inf", 0, time.Time{}, false},
		{"absurd remaining", "1e13", "2", 0, time.Time{}, false},
		{"absurd reset", "5", "1e13", 0, time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := azotte.ParseBudget(budgetHeader(tt.remaining, tt.reset), t0)
			if b.OK != tt.ok || b.Remaining != tt.wantRem || !b.Reset.Equal(tt.wantReset) {
				t.Errorf("ParseBudget(%q, %q) = %g, %v, %v; want %g, %v, %v", tt.remaining, tt.reset,
					b.Remaining, b.Reset.Sub(t0), b.OK, tt.wantRem, tt.wantReset.Sub(t0), tt.ok)
			}
		})
	}
	if b := azotte.ParseBudget(nil, t0); b.OK {
		t.Error("ParseBudget(nil) ok")
	}
}
