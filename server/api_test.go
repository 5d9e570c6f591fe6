package server

import (
	"encoding/json"
	"testing"

	"hcscan/healthcode"
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

// TestStoredRecordIsWhatWasSent: a record survives the round trip through
// the batch, the store and back, in both decoding paths.
func testStoredRecordIsWhatWasSent(t *testing.T, k storeKind) {
	e := newEnvOn(t, k, nil)
	d := e.enroll(t, "clinic", "door")
	r := newRecord(d, "door", "op \"quoted\" }", e.clock.Now())
	r.Sealed = []byte{1, 2, 3}
	r.ManualReason = "no phone"
	e.upload(t, d, []healthcode.Record{r}, "")
	got, err := e.srv.Store().Record(t.Context(), d.id, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(r)
	b, _ := json.Marshal(got.Record)
	if string(a) != string(b) {
		t.Errorf("stored record differs:\n%s\n%s", a, b)
	}
	if got.DeviceInstitution != "clinic" || got.Received.IsZero() {
		t.Errorf("server fields: %q %v", got.DeviceInstitution, got.Received)
	}
}

func TestTokenTypingIsForgiven(t *testing.T) {
	if hashToken("ABCD-EFGH-IJKL") != hashToken(" abcd efgh 1jkl ") || hashToken("OBAA") != hashToken("08aa") {
		t.Error("a token typed with spaces, lower case or look-alike digits does not match")
	}
	if hashToken("ABCD") == hashToken("ABCE") {
		t.Error("different tokens match")
	}
}
