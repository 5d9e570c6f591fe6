package server

import (
	"encoding/json"
	"testing"
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
		var env batchEnvelope
		n := 0
		if json.Unmarshal([]byte(c.body), &env) == nil {
			n = len(env.Records)
		}
		got := splitRecords([]byte(c.body), n)
		if (got == nil) != (c.want == nil) || len(got) != len(c.want) {
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
