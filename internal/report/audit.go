package report

import (
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/azotte/azvalidate/internal/output"
	"github.com/azotte/azvalidate/internal/stats"
	"github.com/azotte/azvalidate/internal/verdict"
)

// AuditConfig configures NewAudit. Zero values get defaults.
type AuditConfig struct {
	Rows       int              // taken rows and error rows kept, each; default 50
	Duplicates int              // largest duplicate groups listed; default 20
	Points     int              // throughput buckets kept at most; default 120
	Bucket     time.Duration    // first throughput bucket width; default 10ms, doubled whenever Points buckets are full
	Latency    *stats.Histogram // request latency to chart (a Stats' Latency); nil: no latency chart
	Now        func() time.Time // the clock; default time.Now
	// Ref names a row (a Row.Seq) as the report shows it: "b.csv:12" when a
	// run reads several inputs; nil: its number.
	Ref func(seq int64) string
}

// AuditRow is one input row listed in a report.
type AuditRow struct {
	Row         int64  // record number from 1, the header not counted
	Ref         string // Row as the report shows it (AuditConfig.Ref)
	ID          string // the id as the input held it, cut to maxText bytes
	MessageCode string // Azotte's status.messageCode; "" when none
	Detail      string // the row's detail, cut to maxText bytes
}

// DuplicateGroup is an id that more than one row holds.
type DuplicateGroup struct {
	ID       string // cut to maxText bytes
	First    int64  // row number of the id's first row
	FirstRef string // First as the report shows it (AuditConfig.Ref)
	Rows     int64  // rows holding the id, the first one included
}

// Throughput is the rows decided per time bucket over a run.
type Throughput struct {
	Start  time.Time     // start of the first bucket: when the Audit was made
	Bucket time.Duration // width of every bucket
	Rows   []int64       // Rows[i]: rows decided in [Start+i*Bucket, Start+(i+1)*Bucket)
}

// maxText caps each id and detail an Audit keeps: a report lists them for
// people, and an input row may be up to --max-field-bytes long.
const maxText = 200

// Audit collects what a report shows beyond the Summary's counters: the first
// taken and error rows, the largest groups of duplicate rows and the
// throughput over time. Observe is called by one goroutine (the pipeline's
// writer); the other methods are safe to call from any goroutine at any time.
//
// Its memory is bounded by the configuration, except the duplicate counts,
// which take one small entry per id that has duplicates (the pipeline's id
// set already holds one entry per distinct id).
type Audit struct {
	cfg   AuditConfig
	start time.Time

	mu     sync.Mutex
	taken  []AuditRow
	errors []AuditRow
	dups   map[int64]dupGroup // by the row number of the id's first row
	width  time.Duration      // throughput bucket width
	points []int64            // rows per bucket; len <= cfg.Points
}

type dupGroup struct {
	id   string
	rows int64
}

// NewAudit returns an empty Audit whose throughput series starts now.
func NewAudit(cfg AuditConfig) *Audit {
	if cfg.Rows <= 0 {
		cfg.Rows = 50
	}
	if cfg.Duplicates <= 0 {
		cfg.Duplicates = 20
	}
	if cfg.Points < 2 {
		cfg.Points = 120
	}
	if cfg.Bucket <= 0 {
		cfg.Bucket = 10 * time.Millisecond
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Audit{
		cfg:    cfg,
		start:  cfg.Now(),
		dups:   make(map[int64]dupGroup),
		width:  cfg.Bucket,
		points: make([]int64, 0, cfg.Points),
	}
}

// Observe takes one decided row. Call it for every row, in output order,
// whether or not --only writes it.
func (a *Audit) Observe(rec *output.Record) {
	now := a.cfg.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	a.count(now)
	switch rec.Verdict {
	case verdict.Taken:
		if len(a.taken) < a.cfg.Rows {
			a.taken = append(a.taken, a.row(rec))
		}
	case verdict.Error:
		if len(a.errors) < a.cfg.Rows {
			a.errors = append(a.errors, a.row(rec))
		}
	case verdict.Duplicate:
		if rec.DuplicateOf <= 0 {
			return
		}
		g, ok := a.dups[rec.DuplicateOf]
		if !ok {
			g = dupGroup{id: clip(rec.Row.ID), rows: 1}
		}
		g.rows++
		a.dups[rec.DuplicateOf] = g
	}
}

// count adds one row to the throughput bucket of now. When the series is
// full, adjacent buckets are merged pairwise and the width doubles, so the
// series always covers the whole run in at most cfg.Points buckets.
func (a *Audit) count(now time.Time) {
	i := int(max(now.Sub(a.start), 0) / a.width)
	for i >= a.cfg.Points {
		n := len(a.points)
		for j := 0; j < n; j += 2 {
			sum := a.points[j]
			if j+1 < n {
				sum += a.points[j+1]
			}
			a.points[j/2] = sum
		}
		a.points = a.points[:(n+1)/2]
		a.width *= 2
		i /= 2
	}
	for len(a.points) <= i {
		a.points = append(a.points, 0)
	}
	a.points[i]++
}

func (a *Audit) row(rec *output.Record) AuditRow {
	detail := rec.Detail
	if detail == "" {
		detail = rec.Row.Invalid
	}
	return AuditRow{Row: rec.Row.Seq, Ref: a.Ref(rec.Row.Seq), ID: clip(rec.Row.ID), MessageCode: clip(rec.MessageCode), Detail: clip(detail)}
}

// Ref names row seq as the report shows it: its number, or with several
// inputs its file and number there. A nil Audit gives the number.
func (a *Audit) Ref(seq int64) string {
	if a == nil || a.cfg.Ref == nil {
		return strconv.FormatInt(seq, 10)
	}
	return a.cfg.Ref(seq)
}

// clip returns a copy of s, valid UTF-8, cut to maxText bytes with an
// ellipsis. It copies so that a kept id never pins a large input buffer.
func clip(s string) string {
	if len(s) > maxText {
		cut := maxText
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return strings.Clone(strings.ToValidUTF8(s, "\uFFFD"))
}

// Taken returns the first taken rows, in input order.
func (a *Audit) Taken() []AuditRow {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.taken)
}

// Errors returns the first error rows, in input order.
func (a *Audit) Errors() []AuditRow {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.errors)
}

// RowLimit is how many taken rows, and how many error rows, the Audit keeps.
func (a *Audit) RowLimit() int { return a.cfg.Rows }

// DuplicateIDs returns how many ids have duplicate rows.
func (a *Audit) DuplicateIDs() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.dups)
}

// Duplicates returns the largest duplicate groups (AuditConfig.Duplicates at
// most), the most rows first, then by first row.
func (a *Audit) Duplicates() []DuplicateGroup {
	a.mu.Lock()
	defer a.mu.Unlock()
	k := a.cfg.Duplicates
	top := make([]DuplicateGroup, 0, k+1)
	less := func(x, y DuplicateGroup) bool { // x ranks before y
		return x.Rows > y.Rows || x.Rows == y.Rows && x.First < y.First
	}
	// A partial insertion sort: most groups have two rows and fail the
	// first comparison once top is full, so this stays linear in practice.
	for first, g := range a.dups {
		d := DuplicateGroup{ID: g.id, First: first, FirstRef: a.Ref(first), Rows: g.rows}
		if len(top) == k && !less(d, top[k-1]) {
			continue
		}
		i, _ := slices.BinarySearchFunc(top, d, func(e, t DuplicateGroup) int {
			if less(e, t) {
				return -1
			}
			return 1
		})
		top = slices.Insert(top, i, d)
		if len(top) > k {
			top = top[:k]
		}
	}
	return top
}

// Throughput returns the rows decided per time bucket so far.
func (a *Audit) Throughput() Throughput {
	a.mu.Lock()
	defer a.mu.Unlock()
	return Throughput{Start: a.start, Bucket: a.width, Rows: slices.Clone(a.points)}
}

// latency returns the histogram to chart, or nil.
func (a *Audit) latency() *stats.Histogram {
	if a == nil {
		return nil
	}
	return a.cfg.Latency
}
