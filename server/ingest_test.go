package server

import (
	"strings"
	"testing"

	"hcscan/protocol"
)

func TestSplitRecords(t *testing.T) {
	cases := []struct {
		body string
		want []string // nil: not the plain shape
	}{
		{`{"records":[{"a":1},{"b":"}{\"]"}]}`, []string{`{"a":1}`, `{"b":"}{\"]"}`}},
		{" {\n \"records\" : [ {\"a\":[1,{}]} ,\n{\"b\":\"\\\\\"} ] }\n", []string{`{"a":[1,{}]}`, `{"b":"\\"}`}},
		{`{"Records":[{"a":1}]}`, nil},
		{`{"records":[{"a":1}],"records":[{"b":2}]}`, nil},
		{`{"rec\u006frds":[{"a":1}]}`, nil},
	}
	for _, c := range cases {
		got, plain := splitRecords([]byte(c.body), protocol.MaxBatch)
		if plain != (c.want != nil) || len(got) != len(c.want) {
			t.Errorf("%q: got %q, want %q", c.body, got, c.want)
			continue
		}
		for i := range got {
			if string(got[i]) != c.want[i] {
				t.Errorf("%q: record %d is %q, want %q", c.body, i, got[i], c.want[i])
			}
		}
	}
}

// TestCountRecordsStopsPastTheLimit: both readers of a batch stop counting
// after one record too many, whatever the shape of the body.
func TestCountRecordsStopsPastTheLimit(t *testing.T) {
	many := `{"records":[` + strings.Repeat(`{},`, 100_000) + `{}]}`
	raws, plain := splitRecords([]byte(many), protocol.MaxBatch)
	if !plain || len(raws) != protocol.MaxBatch+1 {
		t.Errorf("plain reader: %d records, plain %v; want it to stop at %d", len(raws), plain, protocol.MaxBatch+1)
	}
	odd := `{"rec\u006frds":[` + strings.Repeat(`1,`, 100_000) + `1]}`
	if _, plain := splitRecords([]byte(odd), protocol.MaxBatch); plain {
		t.Errorf("escaped key read as the plain shape")
	}
	if n, err := countRecords([]byte(odd)); err != nil || n != protocol.MaxBatch+1 {
		t.Errorf("token reader: %d, %v; want it to stop at %d", n, err, protocol.MaxBatch+1)
	}
	if n, err := countRecords([]byte(`{"x":{"records":[1,2]},"records":[{},{}]}`)); err != nil || n != 2 {
		t.Errorf("token reader on a nested key: %d, %v; want 2", n, err)
	}
	for _, bad := range []string{`[]`, `{"records":{}}`, `{"records":[{},`} {
		if _, err := countRecords([]byte(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
	batch, status, code, _ := decodeBatch([]byte(odd), Device{ID: "dev"})
	if batch != nil || status != 413 || code != protocol.ErrTooManyRecords {
		t.Errorf("decodeBatch of an odd-shaped huge batch: %d %s", status, code)
	}
}
