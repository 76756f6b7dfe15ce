package unique

import (
	"fmt"
	"runtime"
	"strconv"
	"testing"

	"github.com/azotte/azvalidate/internal/input"
	"github.com/azotte/azvalidate/internal/spill"
)

// BenchmarkSet measures the bytes a distinct value costs: 10^7 distinct
// e-mail addresses through a Checker, heap after minus heap before, live
// (after a collection). What the set holds while it grows is its table's
// (idtable's BenchmarkTable/hash-4B with -entries=1e7).
func BenchmarkSet(b *testing.B) {
	const n = 10_000_000
	for b.Loop() {
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		c, err := NewChecker([]Column{{Name: "email", Kind: Email}}, input.CSV, []string{"externalId", "email"}, spill.Memory{})
		if err != nil {
			b.Fatal(err)
		}
		fields := []string{"", ""}
		row := input.Row{Fields: fields}
		buf := make([]byte, 0, 64)
		for i := range n {
			buf = strconv.AppendInt(append(buf[:0], "User."...), int64(i), 10)
			fields[1] = string(append(buf, "@Example.com"...))
			row.Seq = int64(i + 1)
			if with, _ := c.Check(row); with != 0 {
				b.Fatalf("row %d collides with %d", i+1, with)
			}
		}
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		live := float64(after.HeapAlloc-before.HeapAlloc) / n
		b.ReportMetric(live, "B/value-live")
		runtime.KeepAlive(c)
	}
}

// BenchmarkCheck is the cost of one row's check of two columns, mostly new
// values.
func BenchmarkCheck(b *testing.B) {
	c, err := NewChecker([]Column{{Name: "email", Kind: Email}, {Name: "phone", Kind: Phone}}, input.CSV, []string{"externalId", "email", "phone"}, spill.Memory{})
	if err != nil {
		b.Fatal(err)
	}
	row := input.Row{Fields: []string{"", "", ""}}
	var i int64
	for b.Loop() {
		i++
		row.Seq = i
		row.Fields[1] = fmt.Sprint("Someone.", i%1_000_000, "@Example.com")
		row.Fields[2] = "+49 30 " + strconv.FormatInt(i%1_000_000, 10)
		c.Check(row)
	}
}

// BenchmarkCheckNDJSON is the cost of one NDJSON row's check of two fields,
// one nested and one top-level after a few others, mostly new values: the
// per-row field lookup is on the hot path.
//
//	go test -run='^$' -bench='^BenchmarkCheckNDJSON$' -benchtime=1x ./internal/unique
func BenchmarkCheckNDJSON(b *testing.B) {
	const n = 200_000
	c, err := NewChecker([]Column{{Name: "contact.email", Kind: Email}, {Name: "phone", Kind: Phone}}, input.NDJSON, nil, spill.Memory{})
	if err != nil {
		b.Fatal(err)
	}
	rows := make([]input.Row, n)
	for i := range rows {
		rows[i] = input.Row{Seq: int64(i + 1), Raw: fmt.Appendf(nil,
			`{"externalId":"c%07d","name":"Name %d","tags":["a","b"],"contact":{"city":"Berlin","email":"Someone.%d@Example.com"},"n":%d,"phone":"+49 30 %d"}`,
			i, i, i, i, i)}
	}
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	done := 0
	for b.Loop() {
		for _, row := range rows {
			c.Check(row)
		}
		done += n
	}
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(done)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(done), "ns/row")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(done), "allocs/row")
}
