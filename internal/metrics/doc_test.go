package metrics

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

var update = flag.Bool("update", false, "rewrite docs/metrics.md from the metric definitions")

const docPath = "../../docs/metrics.md"

// doc is docs/metrics.md: every figure of set, in set's order, with its
// name, type, labels and help in each view, as the expositions make them.
func doc() string {
	var b strings.Builder
	b.WriteString(`# Metrics

<!-- Generated from internal/metrics/metrics.go by
     go test ./internal/metrics -run TestMetricsDoc -update
     Do not edit: a test fails when this file differs from the code. -->

azvalidate's own metrics, in its two expositions: the ` + "`--metrics-file`" + `
(the last run's values, every one a gauge, for node_exporter's textfile
collector) and ` + "`--listen`" + `'s ` + "`/metrics`" + ` (the running process's: what only
grows is a counter named with ` + "`_total`" + `). — : not in that exposition.
` + "`/metrics`" + ` also serves the Go runtime's and the process's ` + "`go_*`" + ` and
` + "`process_*`" + ` metrics, which the client library defines.

`)
	b.WriteString("| `--metrics-file` | type | `/metrics` | type | labels | help |\n|---|---|---|---|---|---|\n")
	cell := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	for _, m := range set {
		var name, typ [views]string
		for v := range views {
			if m.help[v] == "" {
				name[v], typ[v] = "—", "—"
				continue
			}
			name[v] = "`" + m.name + "`"
			switch {
			case m.kind == count && v == live:
				name[v], typ[v] = "`"+m.name+"_total`", "counter"
			case m.kind == latency && v == file:
				typ[v] = "summary (quantiles 0.5, 0.95, 0.99)"
			case m.kind == latency:
				typ[v] = "histogram"
			default:
				typ[v] = "gauge"
			}
		}
		labels := "—"
		if m.label != "" {
			labels = "`" + m.label + "`: " + "`" + strings.Join(m.labels, "`, `") + "`"
		}
		var help []string
		switch {
		case m.help[file] != "" && m.help[live] != "" && m.help[file] != m.help[live]:
			help = []string{"file: " + m.help[file], "/metrics: " + m.help[live]}
		case m.help[file] != "":
			help = []string{m.help[file]}
		default:
			help = []string{m.help[live]}
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n",
			name[file], typ[file], name[live], typ[live], labels, cell(strings.Join(help, "<br>")))
	}
	return b.String()
}

// TestMetricsDoc fails when docs/metrics.md is not what the metric
// definitions make of it; -update rewrites it.
func TestMetricsDoc(t *testing.T) {
	want := doc()
	if *update {
		if err := os.WriteFile(docPath, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatalf("%v: generate it with go test ./internal/metrics -run TestMetricsDoc -update", err)
	}
	if string(got) != want {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(want, "\n")
		for i := range max(len(gl), len(wl)) {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Errorf("docs/metrics.md line %d differs from the code's metrics:\n\tfile: %q\n\tcode: %q", i+1, g, w)
				break
			}
		}
		t.Error("regenerate it: go test ./internal/metrics -run TestMetricsDoc -update")
	}
}

// TestMetricsDocMatchesExpositions: every family of both real expositions of
// a run (the file WriteFile writes, the collector /metrics serves) is in
// docs/metrics.md under its name, with its type, so the table's rules
// cannot drift from the expositions' either.
func TestMetricsDocMatchesExpositions(t *testing.T) {
	t.Parallel()
	table := doc()
	sum, hist := simulate(t, 2000)
	types := map[dto.MetricType]string{dto.MetricType_GAUGE: "gauge", dto.MetricType_COUNTER: "counter",
		dto.MetricType_SUMMARY: "summary", dto.MetricType_HISTOGRAM: "histogram"}

	path := filepath.Join(t.TempDir(), "run.prom")
	if err := WriteFile(path, Run{Summary: sum, Latency: hist}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fileFams := parseMetrics(t, b)
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(NewCollector(func() Run { return Run{Summary: sum, Latency: hist, Running: true, Progress: 0.5, Rate: 8} }))
	liveFams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	check := func(view, name string, typ dto.MetricType) {
		for line := range strings.Lines(table) {
			cells := strings.Split(line, " | ")
			if len(cells) < 4 {
				continue
			}
			nameCell, typeCell := cells[0], cells[1] // the file's
			if view == "/metrics" {
				nameCell, typeCell = cells[2], cells[3]
			}
			if strings.TrimPrefix(nameCell, "| ") == "`"+name+"`" {
				if !strings.HasPrefix(typeCell, types[typ]) {
					t.Errorf("%s: %s is a %s, docs/metrics.md says %s", view, name, types[typ], typeCell)
				}
				return
			}
		}
		t.Errorf("%s: %s (%s) is not in docs/metrics.md", view, name, types[typ])
	}
	if len(fileFams) < 15 || len(liveFams) < 10 {
		t.Fatalf("%d families in the file, %d on /metrics: too few to be the whole set", len(fileFams), len(liveFams))
	}
	for name, f := range fileFams {
		check("file", name, f.GetType())
	}
	for _, f := range liveFams {
		check("/metrics", f.GetName(), f.GetType())
	}
}
