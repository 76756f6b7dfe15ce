package report

import (
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/azotte/azvalidate/internal/human"
	"github.com/azotte/azvalidate/internal/stats"
)

// chart is an SVG chart laid out in Go and drawn by the HTML template: bars,
// lines and text at computed coordinates. Coordinates are strings so that
// the template prints them short.
type chart struct {
	Label string // the chart's accessible name
	W, H  int
	Bars  []svgRect
	Lines []svgLine
	Texts []svgText
}

type svgRect struct {
	X, Y, W, H string
	Fill       string
	Title      string // a tooltip
}

type svgLine struct {
	X1, Y1, X2, Y2 string
	Class          string // "axis", "grid" or "mark"
}

type svgText struct {
	X, Y   string
	Anchor string // start, middle, end
	Class  string // "label", "value" or "mark"
	Text   string
}

func coord(f float64) string { return strconv.FormatFloat(math.Round(f*10)/10, 'f', -1, 64) }

func (c *chart) rect(x, y, w, h float64, fill, title string) {
	c.Bars = append(c.Bars, svgRect{coord(x), coord(y), coord(w), coord(h), fill, title})
}

func (c *chart) line(x1, y1, x2, y2 float64, class string) {
	c.Lines = append(c.Lines, svgLine{coord(x1), coord(y1), coord(x2), coord(y2), class})
}

func (c *chart) text(x, y float64, anchor, class, s string) {
	c.Texts = append(c.Texts, svgText{coord(x), coord(y), anchor, class, s})
}

// verdictChart is a horizontal bar per verdict, scaled to the largest count.
func verdictChart(lines []verdictLine, most int64) *chart {
	const (
		w, rowH        = 900, 30
		labelW, barMax = 96, 640
	)
	c := &chart{Label: "rows per verdict", W: w, H: rowH*len(lines) + 8}
	for i, l := range lines {
		y := float64(i*rowH) + 4
		c.text(labelW-8, y+rowH/2+4, "end", "label", l.Name)
		bw := 0.0
		if most > 0 {
			bw = float64(l.N) / float64(most) * barMax
		}
		if l.N > 0 {
			bw = max(bw, 2) // a non-zero count stays visible
		}
		c.rect(labelW, y+4, bw, rowH-8, l.Color, l.Name+": "+l.Count+" rows ("+l.Share+")")
		c.text(labelW+bw+8, y+rowH/2+4, "start", "value", l.Count+"  ("+l.Share+")")
	}
	c.line(labelW, 4, labelW, float64(rowH*len(lines))+4, "axis")
	return c
}

// Plot area of the two column charts.
const (
	plotW, plotH                       = 900, 260
	plotL, plotR, plotT, plotB         = 64.0, 880.0, 44.0, 220.0
	plotInnerW, plotInnerH     float64 = plotR - plotL, plotB - plotT
)

// latencyChart is a column per histogram bucket (upper bounds on the x
// axis, from the Histogram's bounds), with p50, p95 and p99 marked.
func latencyChart(buckets []stats.Bucket, q Latency) *chart {
	if len(buckets) == 0 {
		return nil
	}
	c := &chart{Label: "request latency histogram", W: plotW, H: plotH}
	var most int64
	for _, b := range buckets {
		most = max(most, b.Count)
	}
	bw := plotInnerW / float64(len(buckets))
	yAxis(c, float64(most), func(v float64) string { return human.Count(int64(v)) }, "requests")
	for i, b := range buckets {
		h := float64(b.Count) / float64(most) * plotInnerH
		if b.Count > 0 {
			h = max(h, 1.5)
		}
		x := plotL + float64(i)*bw
		c.rect(x+1, plotB-h, max(bw-2, 1), h, "#1f6fb2",
			human.Count(b.Count)+" requests in ("+human.Duration(b.Lower)+", "+human.Duration(b.Upper)+"]")
	}
	// About six labels on the x axis, at bucket upper bounds.
	step := max(1, int(math.Ceil(float64(len(buckets))/6)))
	c.text(plotL, plotB+16, "middle", "label", human.Duration(buckets[0].Lower))
	for i := step - 1; i < len(buckets); i += step {
		if buckets[i].Upper == math.MaxInt64 {
			continue
		}
		x := plotL + float64(i+1)*bw
		c.line(x, plotB, x, plotB+4, "axis")
		c.text(x, plotB+16, "middle", "label", human.Duration(buckets[i].Upper))
	}
	c.text(plotL+plotInnerW/2, plotB+34, "middle", "label", "request latency (bucket upper bounds)")
	// Quantile marks, named above the plot (their values are in the table
	// beside the chart, written once); a name that would overlap an earlier
	// one goes one line lower.
	type span struct{ lo, hi float64 }
	var placed [][]span // per level
	for _, m := range []struct {
		name string
		ms   float64
	}{{"p50", q.P50}, {"p95", q.P95}, {"p99", q.P99}} {
		d := time.Duration(math.Round(m.ms * float64(time.Millisecond))) // back to the bucket bound it came from
		i := len(buckets) - 1
		for j, b := range buckets {
			if d <= b.Upper {
				i = j
				break
			}
		}
		// Within its bucket, at its place on a linear scale: a quantile at
		// the bucket's upper bound sits on that bound's tick.
		b := buckets[i]
		frac := 1.0
		if b.Upper != math.MaxInt64 && d > b.Lower && d < b.Upper {
			frac = float64(d-b.Lower) / float64(b.Upper-b.Lower)
		}
		x := plotL + (float64(i)+frac)*bw
		const labelW = 3 + 3*7 // about 7 units a character
		anchor, s := "start", span{x, x + labelW}
		if s.hi > plotW { // keep it inside
			anchor, s = "end", span{x - labelW, x}
		}
		level := 0
	levels:
		for ; level < len(placed); level++ {
			for _, p := range placed[level] {
				if s.lo < p.hi+4 && p.lo < s.hi+4 {
					continue levels
				}
			}
			break
		}
		if level == len(placed) {
			placed = append(placed, nil)
		}
		placed[level] = append(placed[level], s)
		y := plotT - 30 + float64(level)*12
		c.line(x, y+2, x, plotB, "mark")
		if anchor == "end" {
			c.text(x-3, y, anchor, "mark", m.name)
		} else {
			c.text(x+3, y, anchor, "mark", m.name)
		}
	}
	return c
}

// throughputChart is a column of rows/s per stretch over the run's time, the
// last column as wide as the time it covered, with the average marked.
//
// A few bursts far above the rest (the writer draining rows that were held
// behind one slow answer) would flatten every other column; the scale then
// tops at a bit over the 95th percentile, and the bursts are drawn to the
// top in a darker green with their value written above.
func throughputChart(st []stretch, peak float64, span time.Duration, avg float64) *chart {
	if peak <= 0 {
		return nil
	}
	c := &chart{Label: "rows decided per second over the run", W: plotW, H: plotH}
	top := peak
	if len(st) >= 10 {
		rates := make([]float64, len(st))
		for i, x := range st {
			rates[i] = x.rate()
		}
		slices.Sort(rates)
		if q := rates[len(rates)*95/100]; q > 0 && peak > 2*q {
			top = 1.25 * max(q, avg)
		}
	}
	yAxis(c, top, human.Rate, "rows/s")
	scale := plotInnerW / span.Seconds()
	for _, x := range st {
		r := x.rate()
		h := min(r/top, 1) * plotInnerH
		if r > 0 {
			h = max(h, 1.5)
		}
		fill := "#2e7d32"
		bx, bw := plotL+x.From.Seconds()*scale, max((x.To-x.From).Seconds()*scale-0.5, 0.5)
		if r > top {
			fill = "#1b4d1e"
			label := "↑ " + human.Rate(r)
			if bx+bw/2+float64(len(label))*3.5 > plotW {
				c.text(bx+bw, plotT-4, "end", "value", label)
			} else {
				c.text(bx+bw/2, plotT-4, "middle", "value", label)
			}
		}
		c.rect(bx, plotB-h, bw, h, fill, human.Rate(r)+" rows/s from "+human.Duration(x.From)+" to "+human.Duration(x.To))
	}
	for i := range 5 {
		f := float64(i) / 4
		x := plotL + f*plotInnerW
		c.line(x, plotB, x, plotB+4, "axis")
		anchor := "middle"
		if i == 4 {
			anchor = "end" // inside the chart
		}
		c.text(x, plotB+16, anchor, "label", human.Duration(time.Duration(f*float64(span))))
	}
	c.text(plotL+plotInnerW/2, plotB+34, "middle", "label", "time since the start of the run")
	if avg > 0 && avg <= top {
		y := plotB - avg/top*plotInnerH
		c.line(plotL, y, plotR, y, "mark")
		c.text(plotR, y-4, "end", "mark", "average "+human.Rate(avg)+" rows/s")
	}
	return c
}

// yAxis draws the axes, a grid line at half and at the top, and labels.
func yAxis(c *chart, top float64, format func(float64) string, unit string) {
	c.line(plotL, plotB, plotR, plotB, "axis")
	c.line(plotL, plotT, plotL, plotB, "axis")
	for _, f := range []float64{0.5, 1} {
		y := plotB - f*plotInnerH
		c.line(plotL, y, plotR, y, "grid")
		c.text(plotL-6, y+4, "end", "label", format(top*f))
	}
	c.text(plotL-6, plotB+4, "end", "label", "0")
	c.text(plotL-6, plotT-10, "end", "label", unit)
}
