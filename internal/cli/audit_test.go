package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/azotte/azvalidate/internal/sandbox"
)

// TestAuditOutputs runs one validate with every audit output a cron job or a
// migration lead would ask for, and checks each against the main output.
func TestAuditOutputs(t *testing.T) {
	t.Parallel()
	text, _, taken := genCSV(400, 250)
	e := newEndpoint(t, sandbox.Config{Taken: taken})
	dir := t.TempDir()
	out := filepath.Join(dir, "out.csv")
	splitDir := filepath.Join(dir, "split")
	reportFile, reportMD := filepath.Join(dir, "report.html"), filepath.Join(dir, "report.md")
	metrics := filepath.Join(dir, "azvalidate.prom")
	args := e.args("--rate", "0", "-o", out, "--split", splitDir, "--report", reportFile, "--report", reportMD,
		"--metrics-file", metrics, "--log-format", "json", "--progress-interval", "1ms", "-")
	args = slices.DeleteFunc(args, func(a string) bool { return a == "--quiet" }) // progress lines too
	res := run(t, text, args...)
	if res.code != 1 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}

	// --log-format json: every stderr line is one JSON object.
	lines := strings.Split(strings.TrimSuffix(res.stderr, "\n"), "\n")
	var sawSummary bool
	for _, line := range lines {
		var obj map[string]any
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			t.Fatalf("stderr line is not JSON: %v\n%s", err, line)
		}
		sawSummary = sawSummary || obj["msg"] == "summary"
	}
	if !sawSummary {
		t.Error("no summary record in the JSON log")
	}

	// --split: the per-verdict files hold exactly the main output's rows.
	main := readCSV(t, string(must(t, out)))
	byVerdict := map[string][][]string{}
	for _, rec := range main[1:] {
		byVerdict[rec[5]] = append(byVerdict[rec[5]], rec)
	}
	entries, _ := os.ReadDir(splitDir)
	if len(entries) != len(byVerdict) {
		t.Errorf("--split wrote %d files for %d verdicts present", len(entries), len(byVerdict))
	}
	for v, rows := range byVerdict {
		got := readCSV(t, string(must(t, filepath.Join(splitDir, v+".csv"))))
		if !slices.Equal(got[0], main[0]) || len(got)-1 != len(rows) {
			t.Fatalf("%s.csv: header %q and %d rows, want %q and %d", v, got[0], len(got)-1, main[0], len(rows))
		}
		for i := range rows {
			if !slices.Equal(got[i+1], rows[i]) {
				t.Fatalf("%s.csv row %d differs from the main output's", v, i+1)
			}
		}
	}

	// --metrics-file: Prometheus' own parser reads it, with the run's figures.
	parser := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := parser.TextToMetricFamilies(bytes.NewReader(must(t, metrics)))
	if err != nil {
		t.Fatalf("metrics file: %v", err)
	}
	for _, m := range fams["azvalidate_rows"].GetMetric() {
		v := m.GetLabel()[0].GetValue()
		if got := m.GetGauge().GetValue(); int(got) != len(byVerdict[v]) {
			t.Errorf("azvalidate_rows{verdict=%q} = %g, want %d", v, got, len(byVerdict[v]))
		}
	}
	if got := fams["azvalidate_api_calls"].GetMetric()[0].GetGauge().GetValue(); int64(got) != e.Requests() {
		t.Errorf("azvalidate_api_calls = %g, the sandbox saw %d", got, e.Requests())
	}

	// --report, twice: both written, self-contained (the report package
	// tests the rest).
	html := string(must(t, reportFile))
	if !strings.Contains(html, "azvalidate audit report") || strings.Contains(html, "<script") {
		t.Error("report.html is not the audit report, or loads a script")
	}
	if md := string(must(t, reportMD)); !strings.Contains(md, "## Outcome") {
		t.Error("report.md is not the audit report")
	}
}
