package input

import (
	"fmt"
	"strings"
	"testing"
)

func TestNDJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		input string
		cfg   Config
		want  []string
		blank int64 // BlankLines at the end
	}{
		{
			name:  "strings and numbers",
			input: "{\"externalId\":\"a\",\"n\":1}\r\n{ \"externalId\" : 1001 }\n{\"externalId\":1.5e3}\n{\"externalId\":-0.0}",
			want: []string{
				`1@1 id "a" raw "{\"externalId\":\"a\",\"n\":1}"`,
				`2@2 id "1001" raw "{ \"externalId\" : 1001 }"`,
				`3@3 id "1.5e3" raw "{\"externalId\":1.5e3}"`,
				`4@4 id "-0.0" raw "{\"externalId\":-0.0}"`,
			},
		},
		{
			name:  "escaped string is unescaped",
			input: `{"externalId":"a\u0041\"\\"}` + "\n",
			want:  []string{`1@1 id "aA\"\\" raw "{\"externalId\":\"a\\u0041\\\"\\\\\"}"`},
		},
		{
			name:  "nested",
			input: `{"customer":{"externalId":"c1"}}` + "\n" + `{"customer":{"id":1}}` + "\n" + `{"customer":"x"}` + "\n" + `{"customer":null}` + "\n",
			cfg:   Config{IDField: "customer.externalId"},
			want: []string{
				`1@1 id "c1" raw "{\"customer\":{\"externalId\":\"c1\"}}"`,
				`2@2 invalid "no field \"customer.externalId\"" raw "{\"customer\":{\"id\":1}}"`,
				`3@3 invalid "no field \"customer.externalId\"" raw "{\"customer\":\"x\"}"`,
				`4@4 invalid "no field \"customer.externalId\"" raw "{\"customer\":null}"`,
			},
		},
		{
			name: "field in another case; ambiguous",
			input: `{"ExternalID":"a"}` + "\n" + `{"EXTERNALID":"x","externalId":"b"}` + "\n" + `{"ExternalID":"x","EXTERNALID":"y"}` + "\n" +
				`{"Customer":{"EXTERNALID":"c"}}` + "\n",
			want: []string{
				`1@1 id "a" raw "{\"ExternalID\":\"a\"}"`,
				`2@2 id "b" raw "{\"EXTERNALID\":\"x\",\"externalId\":\"b\"}"`,
				`3@3 invalid "ambiguous field \"externalId\" (fields ExternalID, EXTERNALID)" raw "{\"ExternalID\":\"x\",\"EXTERNALID\":\"y\"}"`,
				`4@4 invalid "no field \"externalId\"" raw "{\"Customer\":{\"EXTERNALID\":\"c\"}}"`,
			},
		},
		{
			name:  "nested field in another case",
			input: `{"Customer":{"EXTERNALID":"c"}}` + "\n" + `{"customer":{"ExternalId":1,"externalID":2}}` + "\n",
			cfg:   Config{IDField: "customer.externalId"},
			want: []string{
				`1@1 id "c" raw "{\"Customer\":{\"EXTERNALID\":\"c\"}}"`,
				`2@2 invalid "ambiguous field \"customer.externalId\" (fields customer.ExternalId, customer.externalID)" raw "{\"customer\":{\"ExternalId\":1,\"externalID\":2}}"`,
			},
		},
		{
			name:  "ids that are not strings or numbers",
			input: `{"externalId":null}` + "\n" + `{"externalId":true}` + "\n" + `{"externalId":{}}` + "\n" + `{"externalId":["a"]}` + "\n",
			want: []string{
				`1@1 invalid "id is not a string or number" raw "{\"externalId\":null}"`,
				`2@2 invalid "id is not a string or number" raw "{\"externalId\":true}"`,
				`3@3 invalid "id is not a string or number" raw "{\"externalId\":{}}"`,
				`4@4 invalid "id is not a string or number" raw "{\"externalId\":[\"a\"]}"`,
			},
		},
		{
			name:  "lines that are not objects",
			input: "[1]\n\"a\"\n 7\n",
			cfg:   Config{Format: NDJSON},
			want: []string{
				`1@1 invalid "line is not a JSON object" raw "[1]"`,
				`2@2 invalid "line is not a JSON object" raw "\"a\""`,
				`3@3 invalid "line is not a JSON object" raw " 7"`,
			},
		},
		{
			name:  "invalid JSON",
			input: "{\"externalId\":\"a\"\n{\"externalId\":\"b\"} x\n{\"externalId\":\"c\"}\n",
			want: []string{
				`1@1 invalid "invalid JSON: unexpected end of JSON input" raw "{\"externalId\":\"a\""`,
				`2@2 invalid "invalid JSON: invalid character 'x' after top-level value" raw "{\"externalId\":\"b\"} x"`,
				`3@3 id "c" raw "{\"externalId\":\"c\"}"`,
			},
		},
		{
			name:  "missing, empty, blank and padded ids",
			input: `{"id":1}` + "\n" + `{"externalId":""}` + "\n" + `{"externalId":"  "}` + "\n" + `{"externalId":" a"}` + "\n",
			want: []string{
				`1@1 invalid "no field \"externalId\"" raw "{\"id\":1}"`,
				`2@2 invalid "empty id" raw "{\"externalId\":\"\"}"`,
				`3@3 invalid "blank id" raw "{\"externalId\":\"  \"}"`,
				`4@4 id " a" padded raw "{\"externalId\":\" a\"}"`,
			},
		},
		{
			name:  "padded id trimmed",
			input: `{"externalId":" a\t"}` + "\n",
			cfg:   Config{Trim: true},
			want:  []string{`1@1 id "a" raw "{\"externalId\":\" a\\t\"}"`},
		},
		{
			name:  "blank lines are no rows and take no number",
			input: "\n{\"externalId\":\"a\"}\n\n \t\r\n{\"externalId\":\"b\"}\n  \n",
			want: []string{
				`1@2 id "a" raw "{\"externalId\":\"a\"}"`,
				`2@5 id "b" raw "{\"externalId\":\"b\"}"`,
			},
			blank: 4,
		},
		{
			name:  "line too long, then back in step",
			input: `{"externalId":"a"}` + "\n" + `{"externalId":"` + strings.Repeat("x", 100) + `"}` + "\n" + `{"externalId":"c"}` + "\n",
			cfg:   Config{MaxRecordBytes: 20},
			want: []string{
				`1@1 id "a" raw "{\"externalId\":\"a\"}"`,
				`2@2 invalid "record longer than 20 bytes" raw "{\"externalId\":\"xxxxx"`,
				`3@3 id "c" raw "{\"externalId\":\"c\"}"`,
			},
		},
		{
			name:  "BOM",
			input: "\ufeff{\"externalId\":\"a\"}\n",
			want:  []string{`1@1 id "a" raw "{\"externalId\":\"a\"}"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rd, rows, err := readAll(t, "in.ndjson", tt.input, tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			compare(t, rows, tt.want)
			if rd.BlankLines() != tt.blank {
				t.Errorf("BlankLines() = %d, want %d", rd.BlankLines(), tt.blank)
			}
			if rd.Format() != NDJSON || rd.Header() != nil || rd.Delimiter() != 0 {
				t.Errorf("Format, Header, Delimiter = %v, %q, %q; want ndjson, nil, 0", rd.Format(), rd.Header(), rd.Delimiter())
			}
		})
	}
}

// TestLongRecords reads records far longer than the read buffer, kept and
// skipped, so the chunked reading and the resynchronisation are exercised.
func TestLongRecords(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("x", 5<<20)
	t.Run("ndjson 5 MB line within the limit", func(t *testing.T) {
		t.Parallel()
		line := `{"note":"` + big + `","externalId":"a"}`
		_, rows, err := readAll(t, "in.ndjson", line+"\n"+`{"externalId":"b"}`, Config{MaxRecordBytes: 8 << 20})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 || rows[0].ID != "a" || string(rows[0].Raw) != line || rows[1].ID != "b" {
			t.Errorf("got %d rows, want ids a and b with the long line kept", len(rows))
		}
	})
	t.Run("ndjson 5 MB line over the limit", func(t *testing.T) {
		t.Parallel()
		_, rows, err := readAll(t, "in.ndjson", `{"note":"`+big+"\"}\r\n"+`{"externalId":"b"}`, Config{})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 || rows[0].Invalid != "record longer than 1048576 bytes" || len(rows[0].Raw) != 1<<20 || rows[1].ID != "b" || rows[1].Line != 2 {
			t.Errorf("got %d rows (%q), want an invalid one then b", len(rows), rows[0].Invalid)
		}
	})
	t.Run("csv 5 MB quoted field with newlines over the limit", func(t *testing.T) {
		t.Parallel()
		field := strings.Repeat("y,\n", 1<<20)
		_, rows, err := readAll(t, "in.csv", "externalId,note\na,\""+field+"\"\nb,2\n", Config{})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{
			`1@2 invalid "record longer than 1048576 bytes"`,
			fmt.Sprintf(`2@%d id "b" fields ["b" "2"]`, 3+1<<20),
		}
		if len(rows) == 2 {
			rows[0].Raw = rows[0].Raw[:0] // too long to show
		}
		compare(t, rows, []string{want[0] + ` raw ""`, want[1]})
	})
	t.Run("csv long record within the limit", func(t *testing.T) {
		t.Parallel()
		field := strings.Repeat("z", 300<<10)
		_, rows, err := readAll(t, "in.csv", "note,externalId\n\""+field+"\",a\n", Config{})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0].ID != "a" || rows[0].Fields[0] != field {
			t.Errorf("got %d rows, want one with id a and the long field", len(rows))
		}
	})
}
