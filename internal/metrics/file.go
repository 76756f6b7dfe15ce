package metrics

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/azotte/azvalidate/internal/output"
	"github.com/azotte/azvalidate/internal/report"
)

// WriteFile writes the file view of r to path atomically (a temporary file
// renamed into place), so that node_exporter never reads half a file. Name
// it *.prom in the textfile collector's folder.
//
// Every value is the last run's, so every one is a gauge (or the latency
// summary), never a counter: a nightly job's file is replaced by each run
// and its values fall back, which a counter must not do. /metrics has the
// counters.
//
// azvalidate_last_success_timestamp_seconds is the run's end when it
// finished (exit code 0 or 1); otherwise (a snapshot of a run under way, a
// failure, an interrupt) the value of the file it replaces is kept, so
// that "time since the last success" can be alerted on.
func WriteFile(path string, r Run) error {
	last := math.NaN()
	if !r.Running && succeeded(r.Summary) {
		last = unixSeconds(r.Summary.End)
	} else if old, err := os.ReadFile(path); err == nil {
		last = previousSample(old, lastSuccessMetric)
	}
	if err := output.WriteFile(path, func(w io.Writer) error { return encode(w, reading{Run: r, lastSuccess: last}) }); err != nil {
		return fmt.Errorf("write metrics %s: %w", path, err)
	}
	return nil
}

// succeeded reports whether a run finished: every row decided and written,
// with or without findings.
func succeeded(s report.Summary) bool {
	return (s.ExitCode == 0 || s.ExitCode == 1) && !s.Interrupted
}

// encode writes the file view of r in the Prometheus text exposition format
// (version 0.0.4), as node_exporter's textfile collector reads it: every
// metric with # HELP and # TYPE, sorted by name, no timestamps.
func encode(w io.Writer, r reading) error {
	reg := prometheus.NewRegistry()
	if err := reg.Register(collector{view: file, read: func() reading { return r }}); err != nil {
		return err
	}
	fams, err := reg.Gather()
	if err != nil {
		return err
	}
	enc := expfmt.NewEncoder(w, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, f := range fams {
		if err := enc.Encode(f); err != nil {
			return err
		}
	}
	return nil
}

// previousSample is the value of an unlabelled gauge in a file WriteFile
// wrote; NaN when there is none or the file cannot be read as the text
// format.
func previousSample(b []byte, name string) float64 {
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(b))
	if err != nil {
		return math.NaN()
	}
	for _, m := range fams[name].GetMetric() {
		if len(m.GetLabel()) == 0 && m.GetGauge() != nil {
			return m.GetGauge().GetValue()
		}
	}
	return math.NaN()
}
