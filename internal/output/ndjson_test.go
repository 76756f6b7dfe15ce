package output

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/azotte/azvalidate/internal/input"
	"github.com/azotte/azvalidate/internal/verdict"
)

// added is what the NDJSON writer adds, decoded.
type addedFields struct {
	IsAvailable *bool           `json:"isAvailable"`
	Status      json.RawMessage `json:"status"`
	Verdict     string          `json:"verdict"`
	DuplicateOf *int64          `json:"duplicateOf"`
	Detail      *string         `json:"detail"`
	Raw         *string         `json:"raw"`
}

func TestNDJSONKeepsObjectBytes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		raw  string
		rec  Record
	}{
		{name: "simple", raw: `{"externalId":"A1"}`},
		{name: "spacing kept", raw: `  { "externalId" : "A1" ,  "n" : 1.50 }  `},
		{name: "nested and unicode", raw: `{"customer":{"externalId":"ä\u00e4"},"tags":["}"],"x":"\"}"}`},
		{name: "empty object", raw: `{}`},
		{name: "empty object with space", raw: "{ \t}"},
		{name: "invalid but an object", raw: `{"externalId":null}`,
			rec: Record{Row: input.Row{Invalid: "externalId is null"}, Verdict: verdict.Invalid}},
		{name: "duplicate", raw: `{"externalId":"A1"}`,
			rec: Record{Verdict: verdict.Duplicate, Answered: true, DuplicateOf: 7, Status: json.RawMessage(`{"messageCode":"SUCCESS"}`)}},
		{name: "pretty status compacted", raw: `{"externalId":"A1"}`,
			rec: Record{Verdict: verdict.Taken, Answered: true, Status: json.RawMessage("{\n  \"messageCode\": \"SUCCESS\"\n}")}},
		{name: "error with detail", raw: `{"externalId":"A1"}`,
			rec: Record{Verdict: verdict.Error, Detail: "timeout \"after\" 15s\n\x01 \xff"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := tc.rec
			rec.Row.Raw = []byte(tc.raw)
			if rec.Verdict == 0 {
				rec.Verdict, rec.Answered, rec.IsAvailable = verdict.Available, true, true
				rec.Status = json.RawMessage(`{"messageCode":"SUCCESS","traceId":"t-1"}`)
			}
			out := write(t, Options{InputFormat: input.NDJSON}, &rec)
			if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "}\n") {
				t.Fatalf("not one line: %q", out)
			}
			line := strings.TrimSuffix(out, "\n")
			trimmed := strings.TrimRight(tc.raw, " \t")
			if orig := trimmed[:len(trimmed)-1]; !strings.HasPrefix(line, orig) {
				t.Errorf("original bytes not kept:\n got  %s\n want %s...", line, orig)
			}
			if !json.Valid([]byte(line)) {
				t.Fatalf("invalid JSON: %s", line)
			}
			var got addedFields
			if err := json.Unmarshal([]byte(line), &got); err != nil {
				t.Fatal(err)
			}
			checkAdded(t, got, &rec)
		})
	}
}

func checkAdded(t *testing.T, got addedFields, rec *Record) {
	t.Helper()
	if rec.Answered != (got.IsAvailable != nil) || (got.IsAvailable != nil && *got.IsAvailable != rec.IsAvailable) {
		t.Errorf("isAvailable = %v, want answered %v available %v", got.IsAvailable, rec.Answered, rec.IsAvailable)
	}
	wantStatus := "null"
	if rec.Status != nil {
		var b bytes.Buffer
		json.Compact(&b, rec.Status)
		wantStatus = b.String()
	}
	if string(got.Status) != wantStatus {
		t.Errorf("status = %s, want %s", got.Status, wantStatus)
	}
	if got.Verdict != rec.Verdict.String() {
		t.Errorf("verdict = %q, want %q", got.Verdict, rec.Verdict)
	}
	if (got.DuplicateOf == nil) != (rec.DuplicateOf == 0) || (got.DuplicateOf != nil && *got.DuplicateOf != rec.DuplicateOf) {
		t.Errorf("duplicateOf = %v, want %d", got.DuplicateOf, rec.DuplicateOf)
	}
	wantDetail := rec.Detail
	if wantDetail == "" {
		wantDetail = rec.Row.Invalid
	}
	wantDetail = strings.ToValidUTF8(wantDetail, "\ufffd")
	if got.Detail == nil || *got.Detail != wantDetail {
		t.Errorf("detail = %v, want %q", got.Detail, wantDetail)
	}
}

func TestNDJSONNotAnObject(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, raw string }{
		{"array", `[1,2]`},
		{"string", `"A1"`},
		{"number", `42`},
		{"truncated", `{"externalId":"A1"`},
		{"braces but not JSON", `{externalId: A1}`},
		{"invalid utf-8 and controls", "{\xff\x00\"}"},
		{"empty line", ``},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := &Record{Row: input.Row{Raw: []byte(tc.raw), Invalid: "not a JSON object"}, Verdict: verdict.Invalid}
			out := write(t, Options{InputFormat: input.NDJSON}, rec)
			var got addedFields
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("invalid JSON %q: %v", out, err)
			}
			if want := strings.ToValidUTF8(tc.raw, "\ufffd"); got.Raw == nil || *got.Raw != want {
				t.Errorf("raw = %v, want %q", got.Raw, want)
			}
			checkAdded(t, got, rec)
		})
	}
}

func TestCSVToNDJSON(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		header []string
		cols   int
		fields []string
		want   string
	}{
		{"header", []string{"externalId", "na\"me"}, 2, []string{"A1", "Ann\n"},
			`{"externalId":"A1","na\"me":"Ann\n",`},
		{"extra fields", []string{"externalId"}, 1, []string{"A1", "x", "y"},
			`{"externalId":"A1","column2":"x","column3":"y",`},
		{"short row padded", []string{"externalId", "name"}, 2, []string{"A1"},
			`{"externalId":"A1","name":"",`},
		{"no header", nil, 2, []string{"A1", "x"},
			`{"column1":"A1","column2":"x",`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := &Record{Row: input.Row{Fields: tc.fields}, Verdict: verdict.Taken, Answered: true, MessageCode: "SUCCESS",
				Status: json.RawMessage(`{"messageCode":"SUCCESS"}`)}
			out := write(t, Options{Format: input.NDJSON, InputFormat: input.CSV, Header: tc.header, Columns: tc.cols}, rec)
			want := tc.want + `"isAvailable":false,"status":{"messageCode":"SUCCESS"},"verdict":"taken","detail":""}` + "\n"
			if out != want {
				t.Errorf("got  %s\nwant %s", out, want)
			}
			if !json.Valid([]byte(out)) {
				t.Errorf("invalid JSON")
			}
		})
	}
}

func TestNDJSONToCSV(t *testing.T) {
	t.Parallel()
	recs := []*Record{
		{Row: input.Row{ID: "A1", Raw: []byte(`{"externalId":"A1","n":"x,y"}`)}, Verdict: verdict.Available, Answered: true, IsAvailable: true, MessageCode: "SUCCESS"},
		{Row: input.Row{Raw: []byte(`[1]`), Invalid: "not a JSON object"}, Verdict: verdict.Invalid},
	}
	out := write(t, Options{Format: input.CSV, InputFormat: input.NDJSON, IDName: "customer.externalId"}, recs...)
	got := readCSV(t, out, ',')
	want := [][]string{
		append([]string{"customer.externalId", "record"}, added...),
		{"A1", `{"externalId":"A1","n":"x,y"}`, "true", "SUCCESS", "available", "", ""},
		{"", "[1]", "", "", "invalid", "", "not a JSON object"},
	}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}
