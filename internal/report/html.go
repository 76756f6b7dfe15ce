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
.pair { display: grid; grid-template-columns: repeat(auto-fit, minmax(340px, 1fr)); gap: 0 14px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 10px 4px 0; border-bottom: 1px solid #edf0f3; vertical-align: baseline; overflow-wrap: anywhere; }
thead th { color: #5a6472; font-weight: 600; border-bottom: 1px solid #cfd6de; }
.kv th { width: 200px; color: #5a6472; font-weight: normal; overflow-wrap: normal; }
.pair .kv th { width: 30%; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.mono, .id { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: 13px; }
/* Ids, digests and codes are never broken: a split id reads as two. */
.id { white-space: nowrap; overflow-wrap: normal; word-break: keep-all; }
.note { color: #5a6472; margin: 8px 0 0; }
.rows th:first-child, .rows td:first-child { width: 4.5em; padding-right: 16px; }
.dups th.num, .dups td.num, .near th.num, .near td.num { width: 7em; }
.quantiles th, .quantiles td { width: 25%; }
.status { display: inline-block; padding: 6px 12px; border-radius: 6px; font-weight: 600; margin: 0; }
.ok { background: #e6f4ea; color: #1e5f24; }
.warn { background: #fff3dc; color: #7a4a00; }
.bad { background: #fdecea; color: #a4161a; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(108px, 1fr)); gap: 8px; margin: 14px 0 0; }
.card { background: #fff; border: 1px solid #dde2e8; border-radius: 8px; padding: 8px 12px; }
.card span { color: #5a6472; font-size: 12px; }
.card b { display: block; font-size: 20px; font-variant-numeric: tabular-nums; }
nav { margin: 14px 0 0; font-size: 13px; }
nav a { color: #1f6fb2; margin-right: 12px; text-decoration: none; }
.figure { margin: 4px 0 0; }
svg.chart { display: block; width: 100%; max-width: 100%; height: auto; margin: 4px 0 8px; }
svg .label { font-size: 11px; fill: #5a6472; }
svg .value { font-size: 12px; fill: #1d2430; }
svg text.mark { font-size: 11px; fill: #7b1fa2; paint-order: stroke; stroke: #fff; stroke-width: 3px; stroke-linejoin: round; }
svg line.axis { stroke: #9aa4b1; }
svg line.grid { stroke: #e8ebef; }
svg line.mark { stroke: #7b1fa2; stroke-dasharray: 4 3; }
svg.swatch { display: inline-block; vertical-align: -1px; margin-right: 6px; }
/* Print: A4 or Letter, whichever the printer has. Sections flow on from
   page to page (a section kept whole would leave half-empty pages); only
   small blocks are kept whole: a chart with its note, a card, a table row. */
@page { size: auto; margin: 14mm 12mm; }
@media print {
  body { background: #fff; font-size: 10pt; }
  main { max-width: none; padding: 0; }
  nav { display: none; }
  section { border: 0; border-top: 1px solid #ccc; border-radius: 0; padding: 8px 0 2px; margin: 8px 0 0; }
  h1 { font-size: 18pt; }
  h2 { font-size: 12.5pt; margin: 0 0 6px; break-after: avoid; page-break-after: avoid; }
  th, td { padding: 2px 8px 2px 0; }
  .mono, .id { font-size: 9pt; }
  .cards { grid-template-columns: repeat(auto-fit, minmax(84px, 1fr)); gap: 6px; }
  .card { padding: 4px 8px; }
  .card b { font-size: 14pt; }
  .figure, .card, .status, tr { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  svg.chart { width: 100%; height: auto; }
  .status, .card, svg { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
</style>
</head>
<body>
<main>
<header>
<h1>azvalidate audit report</h1>
<p class="sub">{{.S.Input.Name}} · {{.StartText}} → {{.EndText}} · {{.Tool}}</p>
<p class="status {{.Status}}" id="banner">exit code {{.S.ExitCode}}: {{.Outcome}}</p>
<div class="cards">
<div class="card"><span>rows</span><b>{{.RowsText}}</b></div>
<div class="card"><span>distinct ids</span><b>{{.DistinctText}}</b></div>
{{range .Verdicts}}<div class="card"><span><svg class="swatch" width="10" height="10" aria-hidden="true"><rect width="10" height="10" rx="2" fill="{{.Color}}"/></svg>{{.Name}}</span><b>{{.Count}}</b></div>
{{end}}</div>
<nav aria-label="sections"><a href="#input">Input</a><a href="#settings">Settings</a><a href="#run">Run</a><a href="#verdicts">Verdicts</a><a href="#latency">Latency</a><a href="#throughput">Throughput</a><a href="#requests">Retries and throttling</a><a href="#duplicates">Duplicates</a>{{if .NearNote}}<a href="#near">Near-collisions</a>{{end}}<a href="#taken">Taken rows</a><a href="#errors">Error rows</a><a href="#outcome">Outcome</a></nav>
</header>

<section id="input"><h2>Input</h2>
{{template "kv" .Input}}</section>

<div class="pair">
<section id="settings"><h2>Settings</h2>
{{template "kv" .Settings}}<p class="note">The API key is never part of a report.</p></section>

<section id="run"><h2>Run</h2>
{{template "kv" .Run}}</section>
</div>

<section id="verdicts"><h2>Verdicts</h2>
<div class="figure">{{template "svg" .VerdictChart}}</div>
<table><thead><tr><th>verdict</th><th class="num">rows</th><th class="num">share</th></tr></thead><tbody>
{{range .Verdicts}}<tr><td><svg class="swatch" width="10" height="10" aria-hidden="true"><rect width="10" height="10" rx="2" fill="{{.Color}}"/></svg>{{.Name}}</td><td class="num">{{.Count}}</td><td class="num">{{.Share}}</td></tr>
{{end}}</tbody></table></section>

<section id="latency"><h2>Request latency</h2>
<table class="quantiles"><thead><tr>{{range .Latency}}<th class="num">{{.Name}}</th>{{end}}</tr></thead><tbody>
<tr>{{range .Latency}}<td class="num">{{.Value}}</td>{{end}}</tr>
</tbody></table>
{{with .LatencyChart}}<div class="figure">{{template "svg" .}}<p class="note">Requests per latency bucket; p50, p95 and p99 are marked at the values above, which are bucket upper bounds (at most 25% high).</p></div>{{else}}<p class="note">No request was timed.</p>{{end}}</section>

<section id="throughput"><h2>Throughput over the run</h2>
{{if .HasAudit}}<div class="figure">{{with .ThroughputChart}}{{template "svg" .}}{{end}}<p class="note">{{.ThroughputNote}}</p></div>{{else}}<p class="note">Not recorded.</p>{{end}}</section>

<section id="requests"><h2>Retries and throttling</h2>
{{template "kv" .Requests}}</section>

<section id="duplicates"><h2>Largest duplicate groups</h2>
{{if .Duplicates}}<table class="dups"><thead><tr><th>id</th><th class="num">first row</th><th class="num">rows</th></tr></thead><tbody>
{{range .Duplicates}}<tr><td><span class="id">{{.ID}}</span></td><td class="num">{{.FirstRef}}</td><td class="num">{{.Rows}}</td></tr>
{{end}}</tbody></table>
{{end}}<p class="note">{{.DuplicateNote}}</p></section>
{{if .NearNote}}
<section id="near"><h2>Near-collisions</h2>
{{if .Near}}<table class="near"><thead><tr><th class="num">first row</th><th class="num">ids</th><th>kinds</th><th>example</th></tr></thead><tbody>
{{range .Near}}<tr><td class="num">{{.FirstRow}}</td><td class="num">{{.Size}}</td><td>{{.Kinds}}</td><td><span class="id">{{.Example}}</span></td></tr>
{{end}}</tbody></table>
{{end}}<p class="note">{{.NearNote}}</p></section>
{{end}}
<section id="taken"><h2>Taken rows</h2>
{{template "rows" .TakenList}}</section>

<section id="errors"><h2>Error rows</h2>
{{template "rows" .ErrorList}}</section>

<section id="outcome"><h2>Outcome</h2>
<table class="kv"><tbody>
<tr><th>exit code</th><td><span class="status {{.Status}}">{{.S.ExitCode}}</span> {{.Outcome}}</td></tr>
<tr><th>interrupted</th><td>{{if .S.Interrupted}}yes: the output holds only the rows finished before the signal{{else}}no{{end}}</td></tr>
{{with .ErrorText}}<tr><th>error</th><td class="mono">{{.}}</td></tr>
{{end}}</tbody></table></section>

<p class="note">Ids and other text from the input show invisible characters escaped: \u00a0 is a no-break space, \u200b a zero-width space, \x20 a space at either end, \\ a backslash.</p>
<p class="note">Written by {{.Tool}}. This page is self-contained: it loads no script, font, image or style sheet.</p>
</main>
</body>
</html>
{{define "kv"}}<table class="kv"><tbody>
{{range .}}<tr><th>{{.Name}}</th><td class="mono">{{if .Code}}<span class="id">{{.Value}}</span>{{else}}{{.Value}}{{end}}</td></tr>
{{end}}</tbody></table>
{{end}}
{{define "svg"}}<svg class="chart" viewBox="0 0 {{.W}} {{.H}}" width="{{.W}}" height="{{.H}}" role="img" aria-label="{{.Label}}">
{{range .Lines}}<line x1="{{.X1}}" y1="{{.Y1}}" x2="{{.X2}}" y2="{{.Y2}}" class="{{.Class}}"/>
{{end}}{{range .Bars}}<rect x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}" fill="{{.Fill}}"><title>{{.Title}}</title></rect>
{{end}}{{range .Texts}}<text x="{{.X}}" y="{{.Y}}" text-anchor="{{.Anchor}}" class="{{.Class}}">{{.Text}}</text>
{{end}}</svg>
{{end}}
{{define "rows"}}{{if .Rows}}<table class="rows"><thead><tr><th class="num">row</th><th>id</th><th>messageCode</th>{{if .HasDetail}}<th>detail</th>{{end}}</tr></thead><tbody>
{{range .Rows}}<tr><td class="num">{{.Ref}}</td><td><span class="id">{{.ID}}</span></td><td><span class="id">{{.MessageCode}}</span></td>{{if $.HasDetail}}<td>{{.Detail}}</td>{{end}}</tr>
{{end}}</tbody></table>
{{end}}<p class="note">{{.Note}}</p>{{end}}
`))
