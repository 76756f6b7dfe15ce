package output

import (
	"encoding/json"
	"io"
	"strconv"
	"testing"

	"github.com/azotte/azvalidate/internal/input"
	"github.com/azotte/azvalidate/internal/verdict"
)

func benchRecords(format input.Format) []*Record {
	status := json.RawMessage(`{"messageCode":"SUCCESS"}`)
	recs := make([]*Record, 1024)
	for i := range recs {
		id := "CUST-" + strconv.Itoa(100000+i)
		r := &Record{Verdict: verdict.Available, Answered: true, IsAvailable: true, MessageCode: "SUCCESS", Status: status}
		if format == input.NDJSON {
			r.Row = input.Row{Seq: int64(i + 1), ID: id, Raw: []byte(`{"externalId":"` + id + `","name":"Ann Lee","email":"ann@example.com","city":"Oslo, Norway"}`)}
		} else {
			r.Row = input.Row{Seq: int64(i + 1), ID: id, Fields: []string{id, "Ann Lee", "ann@example.com", "Oslo, Norway"}}
		}
		if i%10 == 0 {
			r.Verdict, r.DuplicateOf = verdict.Duplicate, 1
		}
		recs[i] = r
	}
	return recs
}

func benchWriter(b *testing.B, opt Options) {
	recs := benchRecords(opt.InputFormat)
	w, err := New(io.Discard, opt)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if err := w.Write(recs[i%len(recs)]); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkCSVWriter(b *testing.B) {
	benchWriter(b, Options{InputFormat: input.CSV, Header: []string{"externalId", "name", "email", "city"}})
}

func BenchmarkNDJSONWriter(b *testing.B) {
	benchWriter(b, Options{InputFormat: input.NDJSON})
}

func BenchmarkCSVToNDJSONWriter(b *testing.B) {
	benchWriter(b, Options{Format: input.NDJSON, InputFormat: input.CSV, Header: []string{"externalId", "name", "email", "city"}})
}
