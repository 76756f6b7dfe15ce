package live

import (
	"html/template"
	"net/http"
	"strconv"
	"time"

	"github.com/azotte/azvalidate/internal/human"
	"github.com/azotte/azvalidate/internal/verdict"
)

// statusPage is the page at /: one file, inline CSS, no script, font or
// image to load (the run may be on a host without a way out), reloaded by
// the browser every Refresh.
var statusPage = template.Must(template.New("status").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="{{.Refresh}}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>azvalidate · {{.Percent}} · {{.Input}}</title>
<style>
body{font:15px/1.4 system-ui,sans-serif;margin:1.5em auto;max-width:52em;padding:0 1em;color:#222}
h1{font-size:1.3em}h2{font-size:1.05em;margin-top:1.6em}
table{border-collapse:collapse}td,th{padding:.15em .8em .15em 0;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.bar{background:#e4e4e4;height:1.1em;border-radius:3px;overflow:hidden}
.bar div{background:#3a7bd5;height:100%}
.muted{color:#777}code{font-size:.95em}
.pause{background:#fff4e5;border-left:4px solid #ef6c00;padding:.4em .8em}
</style></head><body>
<h1>azvalidate · {{.Input}}</h1>
<p class="muted">running for {{.Elapsed}} · started {{.Started}} · this page reloads every {{.Refresh}} s · <a href="/metrics">/metrics</a></p>

<h2>Progress</h2>
{{if .Pause}}<p class="pause"><strong>{{.Pause}}</strong></p>{{end}}
{{if ge .Share 0.0}}<div class="bar" title="{{.Percent}}"><div style="width:{{.Width}}%"></div></div>{{end}}
<table>
<tr><th>done</th><td class="n">{{.Count}} {{.Unit}}</td><td>{{.Percent}}</td></tr>
<tr><th>speed</th><td class="n">{{.Speed}} {{.Unit}}/s</td><td class="muted">since the start</td></tr>
<tr><th>ETA</th><td class="n">{{.ETA}}</td><td></td></tr>
</table>

<h2>Verdicts</h2>
<table>{{range .Verdicts}}<tr><th>{{.Name}}</th><td class="n">{{.Count}}</td><td class="n muted">{{.Share}}</td></tr>{{end}}</table>

<h2>Requests and throttling</h2>
<table>
<tr><th>api calls</th><td class="n">{{.Calls}}</td></tr>
<tr><th>retries</th><td class="n">{{.Retries}}</td></tr>
<tr><th>http 429</th><td class="n">{{.Throttled}}</td></tr>
<tr><th>rate now</th><td class="n">{{.Rate}}</td></tr>
<tr><th>latency</th><td class="n">p50 {{.P50}} · p99 {{.P99}} · max {{.Max}}</td></tr>
</table>

<h2>Recent errors</h2>
{{if .Errors}}<table><tr><th>time</th><th>id</th><th>status</th><th>error</th></tr>
{{range .Errors}}<tr><td>{{.Time.Format "15:04:05"}}</td><td><code>{{.ID}}</code></td><td>{{if .Status}}{{.Status}}{{end}}</td><td>{{.Err}}</td></tr>
{{end}}</table>{{else}}<p class="muted">none</p>{{end}}

<h2>Settings</h2>
<table>{{range .Settings}}<tr><th>{{index . 0}}</th><td>{{index . 1}}</td></tr>{{end}}</table>
</body></html>
`))

type verdictRow struct{ Name, Count, Share string }

type statusView struct {
	Input, Started, Elapsed     string
	Refresh                     int
	Count, Unit, Percent, Speed string
	ETA                         string
	Share                       float64
	Width                       string
	Verdicts                    []verdictRow
	Calls, Retries, Throttled   string
	Rate, P50, P99, Max         string
	Pause                       string // why requests are held; "" when they are not
	Errors                      []Event
	Settings                    [][2]string
}

func (s *Server) status(w http.ResponseWriter, _ *http.Request) {
	st, now := s.cfg.Stats, s.cfg.Now()
	p := s.progress()
	el := now.Sub(s.cfg.Start)
	v := statusView{
		Input:   inputName(s.cfg.Input),
		Started: s.cfg.Start.Format(time.DateTime),
		Elapsed: human.Span(el.Round(time.Second)),
		Refresh: int(max(s.cfg.Refresh.Round(time.Second), time.Second) / time.Second),
		Count:   human.Count(p.Count),
		Unit:    p.Unit,
		Percent: "size unknown",
		ETA:     "unknown",
		Share:   p.Share(),
		Speed:   "…",
		Calls:   human.Count(st.Calls.Load()), Retries: human.Count(st.Retries.Load()), Throttled: human.Count(st.Throttled.Load()),
		P50: ms(st.Latency.Quantile(0.5)), P99: ms(st.Latency.Quantile(0.99)), Max: ms(st.Latency.Max()),
		Errors:   s.recentErrors(),
		Settings: s.settings(),
	}
	if el >= time.Second { // earlier, a speed is noise
		v.Speed = human.Rate(float64(p.Count) / el.Seconds())
	}
	if v.Share >= 0 {
		v.Percent = strconv.Itoa(int(v.Share*100)) + "%"
		v.Width = strconv.FormatFloat(v.Share*100, 'f', 1, 64)
		if p.Done > 0 && el >= time.Second {
			v.ETA = human.Span(time.Duration(float64(el) * float64(p.Total-p.Done) / float64(p.Done)).Round(time.Second))
		}
	}
	rows := st.Rows.Load()
	for _, vd := range verdict.All {
		n := st.Verdict(vd)
		v.Verdicts = append(v.Verdicts, verdictRow{vd.String(), human.Count(n), human.Percent(n, rows)})
	}
	v.Rate = "unlimited"
	if r := s.rate(); r > 0 {
		v.Rate = strconv.FormatFloat(r, 'f', 1, 64) + "/s"
		if limit := s.cfg.Settings.Rate; limit > 0 && r < limit {
			v.Rate += " (limit " + strconv.FormatFloat(limit, 'f', -1, 64) + "/s: slowed by throttling)"
		}
	}
	if s.cfg.Pause != nil {
		if v.Pause = s.cfg.Pause(); v.Pause != "" {
			v.ETA = "none while paused"
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	statusPage.Execute(w, v)
}

// settings are the run's settings as the page lists them; Settings holds
// no secret, and the page shows nothing else of the configuration.
func (s *Server) settings() [][2]string {
	c := s.cfg.Settings
	endpoint := c.BaseURL + c.Path
	if c.Sandbox {
		endpoint += " (embedded sandbox)"
	}
	rate := "unlimited"
	if c.Rate > 0 {
		rate = strconv.FormatFloat(c.Rate, 'f', -1, 64) + "/s, burst " + strconv.Itoa(c.Burst)
	}
	out := [][2]string{
		{"endpoint", endpoint},
		{"tenant", c.Tenant},
		{"concurrency", strconv.Itoa(c.Concurrency)},
		{"rate", rate},
		{"retries", strconv.Itoa(c.Retries)},
		{"timeout", strconv.FormatFloat(c.TimeoutSeconds, 'f', -1, 64) + " s"},
	}
	if c.Only != "" {
		out = append(out, [2]string{"only", c.Only})
	}
	if c.MaxCalls > 0 {
		out = append(out, [2]string{"max calls", human.Count(int64(c.MaxCalls))})
	}
	if c.DeadlineSeconds > 0 {
		out = append(out, [2]string{"deadline", human.Span(time.Duration(c.DeadlineSeconds * float64(time.Second)))})
	}
	return out
}

func inputName(name string) string {
	if name == "" || name == "-" {
		return "stdin"
	}
	return name
}

func ms(d time.Duration) string {
	return d.Round(100 * time.Microsecond).String()
}
