package report

import (
	"bufio"
	"fmt"
	"html/template"
	"io"
)

// WriteHTML writes the audit report of a run as one self-contained HTML page:
// inline CSS, charts as inline SVG, no script, and nothing loaded from
// anywhere (a Content-Security-Policy says so to the browser too), so the
// file can be attached to a ticket and opened offline. a may be nil: the
// sections it feeds then say that nothing was recorded.
func WriteHTML(w io.Writer, s Summary, a *Audit) error {
	bw := bufio.NewWriter(w)
	if err := htmlReport.Execute(bw, newView(s, a)); err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	return bw.Flush()
}

var htmlReport = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="generator" content="azvalidate">
<title>azvalidate report: {{.S.Input.Name}}</title>
<style>
:root { color-scheme: light; }
body { margin: 0; background: #f3f5f8; color: #1d2430;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1000px; margin: 0 auto; padding: 20px 24px 40px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 0 0 12px; }
.sub { color: #5a6472; margin: 0 0 12px; }
section { background: #fff; border: 1px solid #dde2e8; border-radius: 8px; padding: 16px 20px; margin: 14px 0; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 10px 4px 0; border-bottom: 1px solid #edf0f3; vertical-align: baseline; }
thead th { color: #5a6472; font-weight: 600; border-bottom: 1px solid #cfd6de; }
.kv th { width: 200px; color: #5a6472; font-weight: normal; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: 13px; word-break: break-all; }
.note { color: #5a6472; margin: 8px 0 0; }
.rows th:first-child, .rows td:first-child { width: 4.5em; padding-right: 16px; }
.rows th:nth-child(3), .rows td:nth-child(3) { width: 15em; }
.dups th.num, .dups td.num { width: 7em; }
.status { display: inline-block; padding: 6px 12px; border-radius: 6px; font-weight: 600; }
.ok { background: #e6f4ea; color: #1e5f24; }
.warn { background: #fff3dc; color: #7a4a00; }
.bad { background: #fdecea; color: #a4161a; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(118px, 1fr)); gap: 8px; margin: 14px 0 0; }
.card { background: #fff; border: 1px solid #dde2e8; border-radius: 8px; padding: 8px 12px; }
.card span { color: #5a6472; font-size: 12px; }
.card b { display: block; font-size: 20px; font-variant-numeric: tabular-nums; }
nav { margin: 14px 0 0; font-size: 13px; }
nav a { color: #1f6fb2; margin-right: 12px; text-decoration: none; }
.charts { display: grid; gap: 16px; }
svg.chart { display: block; width: 100%; height: auto; margin: 4px 0 8px; }
svg .label { font-size: 11px; fill: #5a6472; }
svg .value { font-size: 12px; fill: #1d2430; }
svg text.mark { font-size: 11px; fill: #7b1fa2; paint-order: stroke; stroke: #fff; stroke-width: 3px; stroke-linejoin: round; }
svg line.axis { stroke: #9aa4b1; }
svg line.grid { stroke: #e8ebef; }
svg line.mark { stroke: #7b1fa2; stroke-dasharray: 4 3; }
svg.swatch { display: inline-block; vertical-align: -1px; margin-right: 6px; }
@media print { body { background: #fff; } nav { display: none; } section { break-inside: avoid; border-color: #ccc; } }
</style>
</head>
<body>
<main>
<header>
<h1>azvalidate audit report</h1>
<p class="sub"><span class="mono">{{.S.Input.Name}}</span> · {{.StartText}} → {{.EndText}} · {{.Tool}}</p>
<div class="status {{.Status}}">exit code {{.S.ExitCode}}: {{.ExitMeaning}}</div>
<div class="cards">
<div class="card"><span>rows</span><b>{{.RowsText}}</b></div>
<div class="card"><span>distinct ids</span><b>{{.DistinctText}}</b></div>
{{range .Verdicts}}<div class="card"><span><svg class="swatch" width="10" height="10" aria-hidden="true"><rect width="10" height="10" rx="2" fill="{{.Color}}"/></svg>{{.Name}}</span><b>{{.Count}}</b></div>
{{end}}</div>
<nav aria-label="sections"><a href="#input">Input</a><a href="#settings">Settings</a><a href="#run">Run</a><a href="#verdicts">Verdicts</a><a href="#latency">Latency</a><a href="#throughput">Throughput</a><a href="#requests">Retries and throttling</a><a href="#duplicates">Duplicates</a><a href="#taken">Taken rows</a><a href="#errors">Error rows</a><a href="#outcome">Outcome</a></nav>
</header>

<section id="input"><h2>Input</h2>
{{template "kv" .Input}}</section>

<section id="settings"><h2>Settings</h2>
{{template "kv" .Settings}}<p class="note">The API key is never part of a report.</p></section>

<section id="run"><h2>Run</h2>
{{template "kv" .Run}}</section>

<section id="verdicts"><h2>Verdicts</h2>
{{template "svg" .VerdictChart}}
<table><thead><tr><th>verdict</th><th class="num">rows</th><th class="num">share</th></tr></thead><tbody>
{{range .Verdicts}}<tr><td><svg class="swatch" width="10" height="10" aria-hidden="true"><rect width="10" height="10" rx="2" fill="{{.Color}}"/></svg>{{.Name}}</td><td class="num">{{.Count}}</td><td class="num">{{.Share}}</td></tr>
{{end}}</tbody></table></section>

<section id="latency"><h2>Request latency</h2>
{{template "kv" .Latency}}
{{with .LatencyChart}}{{template "svg" .}}<p class="note">Requests per latency bucket; quantiles are bucket upper bounds (at most 25% high).</p>{{else}}<p class="note">No request was timed.</p>{{end}}</section>

<section id="throughput"><h2>Throughput over the run</h2>
{{with .ThroughputChart}}{{template "svg" .}}{{end}}<p class="note">{{if .HasAudit}}{{.ThroughputNote}}{{else}}Not recorded.{{end}}</p></section>

<section id="requests"><h2>Retries and throttling</h2>
{{template "kv" .Requests}}</section>

<section id="duplicates"><h2>Largest duplicate groups</h2>
{{if .Duplicates}}<table class="dups"><thead><tr><th>id</th><th class="num">first row</th><th class="num">rows</th></tr></thead><tbody>
{{range .Duplicates}}<tr><td class="mono">{{.ID}}</td><td class="num">{{.First}}</td><td class="num">{{.Rows}}</td></tr>
{{end}}</tbody></table>
<p class="note">{{.DuplicateNote}}</p>
{{else}}<p class="note">{{.DuplicateNote}}</p>{{end}}</section>

<section id="taken"><h2>Taken rows</h2>
{{template "rows" .TakenList}}</section>

<section id="errors"><h2>Error rows</h2>
{{template "rows" .ErrorList}}</section>

<section id="outcome"><h2>Outcome</h2>
<table class="kv"><tbody>
<tr><th>exit code</th><td><span class="status {{.Status}}">{{.S.ExitCode}}</span> {{.ExitMeaning}}</td></tr>
<tr><th>interrupted</th><td>{{if .S.Interrupted}}yes: the output holds only the rows finished before the signal{{else}}no{{end}}</td></tr>
{{with .S.Error}}<tr><th>error</th><td class="mono">{{.}}</td></tr>
{{end}}</tbody></table></section>

<p class="note">Written by {{.Tool}}. This page is self-contained: it loads no script, font, image or style sheet.</p>
</main>
</body>
</html>
{{define "kv"}}<table class="kv"><tbody>
{{range .}}<tr><th>{{.Name}}</th><td class="mono">{{.Value}}</td></tr>
{{end}}</tbody></table>
{{end}}
{{define "svg"}}<svg class="chart" viewBox="0 0 {{.W}} {{.H}}" width="{{.W}}" height="{{.H}}" role="img" aria-label="{{.Label}}">
{{range .Lines}}<line x1="{{.X1}}" y1="{{.Y1}}" x2="{{.X2}}" y2="{{.Y2}}" class="{{.Class}}"/>
{{end}}{{range .Bars}}<rect x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}" fill="{{.Fill}}"><title>{{.Title}}</title></rect>
{{end}}{{range .Texts}}<text x="{{.X}}" y="{{.Y}}" text-anchor="{{.Anchor}}" class="{{.Class}}">{{.Text}}</text>
{{end}}</svg>
{{end}}
{{define "rows"}}{{if .Rows}}<table class="rows"><thead><tr><th class="num">row</th><th>id</th><th>messageCode</th>{{if .HasDetail}}<th>detail</th>{{end}}</tr></thead><tbody>
{{range .Rows}}<tr><td class="num">{{.Row}}</td><td class="mono">{{.ID}}</td><td class="mono">{{.MessageCode}}</td>{{if $.HasDetail}}<td>{{.Detail}}</td>{{end}}</tr>
{{end}}</tbody></table>
<p class="note">{{.Note}}</p>
{{else}}<p class="note">{{.Note}}</p>{{end}}{{end}}
`))
