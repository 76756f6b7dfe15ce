package metrics

import (
	"bytes"
	"math"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
)

// TestLint: both views pass the checks of promtool check metrics.
func TestLint(t *testing.T) {
	t.Parallel()
	s, h := simulate(t, 300)
	var buf bytes.Buffer
	if err := encode(&buf, reading{Run: Run{Summary: s, Latency: h}, lastSuccess: math.Pi}); err != nil {
		t.Fatal(err)
	}
	live := gather(t, NewCollector(func() Run { return Run{Summary: s, Latency: h, Running: true, Progress: 0.5} }))
	var fams []*dto.MetricFamily
	for _, f := range live {
		fams = append(fams, f)
	}
	for _, c := range []struct {
		view string
		l    *promlint.Linter
	}{{"file", promlint.New(&buf)}, {"/metrics", promlint.NewWithMetricFamilies(fams)}} {
		problems, err := c.l.Lint()
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			t.Errorf("%s: %s: %s", c.view, p.Metric, p.Text)
		}
	}
}
