package human

import (
	"math"
	"testing"
	"time"
)

func TestFormats(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ got, want string }{
		{Count(0), "0"},
		{Count(999), "999"},
		{Count(1000), "1,000"},
		{Count(1204331), "1,204,331"},
		{Count(-1234), "-1,234"},
		{Plural(1, "group"), "1 group"},
		{Plural(1024, "call"), "1,024 calls"},
		{Bytes(999), "999 B"},
		{Bytes(38612), "38.6 kB"},
		{Bytes(2_500_000_000), "2.5 GB"},
		{Percent(12, 300), "4.0%"},
		{Percent(1, 0), "-"},
		{Rate(0), "0"},
		{Rate(7.94), "7.9"},
		{Rate(16991.4), "16,991"},
		{Duration(1249 * time.Millisecond), "1.25s"},
		{Duration(math.MaxInt64), "∞"},
		{Typed(24 * time.Hour), "24h"},
		{Typed(90 * time.Minute), "1h30m"},
		{Typed(1500 * time.Millisecond), "1.5s"},
		{Span(37 * time.Second), "37 s"},
		{Span(725 * time.Second), "12 min 5 s"},
		{Span(150540 * time.Second), "41 h 49 min"},
		{Quote("José crm-1"), `"José crm-1"`},
		{Quote("crm-1\u00a0"), `"crm-1\u00a0"`},
		{Quote("crm\u200b-1\t"), `"crm\u200b-1\t"`},
		{Quote("ｃｒｍ\x00"), `"ｃｒｍ\x00"`},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
