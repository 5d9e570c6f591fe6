package storetest

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"hcscan/healthcode"
	"hcscan/protocol"
	"hcscan/server"
)

func testIngestIsIdempotentAndStrict(t *testing.T, open Open) {
	e := NewEnv(t, open, Options{})
	d := e.Enroll(t, "clinic", "door")
	d2 := e.Enroll(t, "clinic", "back")
	now := e.Clock.Now()
	recs := []healthcode.Record{NewRecord(d, "door", "a", now), NewRecord(d, "door", "a", now), NewRecord(d, "door", "b", now)}

	rr := e.Upload(t, d, recs, "batch-1")
	if rr.Stored != 3 || len(rr.Results) != 3 || rr.Results[1].ID != recs[1].ID || rr.ServerTime.IsZero() {
		t.Fatalf("first upload: %+v", rr)
	}
	// The retry of the same batch (a new signature, same key) gets the same answer.
	rr = e.Upload(t, d, recs, "batch-1")
	if rr.Stored != 3 {
		t.Errorf("replayed batch: %+v", rr)
	}
	// Without the key (or another key) every record is a duplicate.
	rr = e.Upload(t, d, recs, "")
	if rr.Duplicate != 3 || !rr.Results[0].Status.Acknowledged() {
		t.Errorf("resent batch: %+v", rr)
	}
	// Same key, different body.
	resp, data := e.Do(t, d, Call{Method: "POST", URI: protocol.PathRecords, Body: BatchBody(t, recs[:1]), Header: map[string]string{protocol.HeaderIdempotencyKey: "batch-1"}})
	WantError(t, "key reuse", resp, data, 422, protocol.ErrIdempotencyConflict)

	// Per-record rejections, stored alongside a good one, duplicates within one batch.
	good := NewRecord(d, "door", "a", now)
	foreign := NewRecord(d2, "back", "c", now) // signed by d: not its record
	noTime := NewRecord(d, "door", "a", time.Time{})
	badID := NewRecord(d, "door", "a", now)
	badID.ID = "not-a-uuid"
	rr = e.Upload(t, d, []healthcode.Record{good, foreign, noTime, badID, good}, "")
	want := []protocol.RecordStatus{protocol.Stored, protocol.Rejected, protocol.Rejected, protocol.Rejected, protocol.Duplicate}
	for i, w := range want {
		if rr.Results[i].Status != w {
			t.Errorf("record %d: %s (%s), want %s", i, rr.Results[i].Status, rr.Results[i].Reason, w)
		}
	}
	if !strings.Contains(rr.Results[1].Reason, "signing device") {
		t.Errorf("foreign record reason %q", rr.Results[1].Reason)
	}
	// A record with an unknown field is rejected by itself.
	raw := BatchBody(t, []healthcode.Record{NewRecord(d, "door", "a", now)})
	raw = bytes.Replace(raw, []byte(`"gate":`), []byte(`"colour_guess":1,"gate":`), 1)
	resp, data = e.Do(t, d, Call{Method: "POST", URI: protocol.PathRecords, Body: raw})
	var rr2 protocol.RecordsReply
	json.Unmarshal(data, &rr2)
	if resp.StatusCode != 200 || rr2.Rejected != 1 || !strings.Contains(rr2.Results[0].Reason, "unknown field") {
		t.Errorf("record with unknown field: %d %s", resp.StatusCode, data)
	}
	if n := e.CountRecords(t, "clinic"); n != 4 {
		t.Fatalf("%d records stored, want 4", n)
	}

	// Whole-batch refusals store nothing.
	many := make([]healthcode.Record, protocol.MaxBatch+1)
	for i := range many {
		many[i] = NewRecord(d, "door", "a", now)
	}
	cases := []struct {
		name   string
		body   []byte
		ctype  string
		status int
		code   string
	}{
		{"too many records", BatchBody(t, many), "application/json", 413, protocol.ErrTooManyRecords},
		{"oversize body", append(append([]byte(`{"records":[{"id":"`), bytes.Repeat([]byte("x"), protocol.MaxRecordsBody)...), `"}]}`...), "application/json", 413, protocol.ErrTooLarge},
		{"malformed JSON", []byte(`{"records":[{"id":`), "application/json", 400, protocol.ErrBadRequest},
		{"unknown top-level field", []byte(`{"records":[],"extra":1}`), "application/json", 400, protocol.ErrBadRequest},
		{"trailing data", append(BatchBody(t, many[:1]), []byte(`{}`)...), "application/json", 400, protocol.ErrBadRequest},
		{"empty batch", []byte(`{"records":[]}`), "application/json", 400, protocol.ErrBadRequest},
		{"wrong content type", BatchBody(t, many[:1]), "text/plain", 415, protocol.ErrUnsupportedMedia},
		{"no content type", BatchBody(t, many[:1]), "", 415, protocol.ErrUnsupportedMedia},
	}
	for _, c := range cases {
		resp, data := e.Do(t, d, Call{Method: "POST", URI: protocol.PathRecords, Body: c.body, Header: map[string]string{"Content-Type": c.ctype}})
		WantError(t, c.name, resp, data, c.status, c.code)
	}
	resp, data = e.Do(t, d, Call{Method: "GET", URI: protocol.PathRecords})
	WantError(t, "GET records", resp, data, 405, protocol.ErrMethodNotAllowed)
	if n := e.CountRecords(t, "clinic"); n != 4 {
		t.Fatalf("%d records after refused batches, want 4", n)
	}
}

func testProvisionalPassThenRedRaisesAlert(t *testing.T, open Open) {
	e := NewEnv(t, open, Options{})
	d := e.Enroll(t, "care home", "gate")
	now := e.Clock.Now()
	prov := NewRecord(d, "gate", "a", now)
	prov.Provisional = true
	plain := NewRecord(d, "gate", "a", now) // online pass: tracing, not an alert
	plain.CodeHash = prov.CodeHash
	alreadyRed := NewRecord(d, "gate", "a", now)
	alreadyRed.Provisional = true
	e.Srv.SetStatus(t.Context(), []server.StatusChange{{Hash: alreadyRed.CodeHash, Colour: healthcode.Red}})

	e.Upload(t, d, []healthcode.Record{prov, plain, alreadyRed}, "")
	alerts, _ := e.Srv.Store().Alerts(t.Context(), "care home")
	if len(alerts) != 1 || alerts[0].RecordID != alreadyRed.ID {
		t.Fatalf("alerts after ingest: %+v", alerts)
	}
	_, n, err := e.Srv.SetStatus(t.Context(), []server.StatusChange{{Hash: prov.CodeHash, Colour: healthcode.Yellow}})
	if err != nil || n != 1 {
		t.Fatalf("status set: %d alerts, %v", n, err)
	}
	alerts, _ = e.Srv.Store().Alerts(t.Context(), "care home")
	if len(alerts) != 2 {
		t.Fatalf("alerts: %+v", alerts)
	}
	found := false
	for _, a := range alerts {
		if a.RecordID == prov.ID && a.Colour == healthcode.Yellow && a.DeviceID == d.ID {
			found = true
		}
		if a.RecordID == plain.ID {
			t.Error("a non-provisional pass was flagged")
		}
	}
	if !found {
		t.Errorf("provisional record not flagged: %+v", alerts)
	}
	// The scanner learns it through the status delta, keyed by the code hash.
	_, sl := e.Status(t, d, 1)
	if len(sl.Entries) != 1 || sl.Entries[0].Hash != prov.CodeHash || sl.Entries[0].Colour != healthcode.Yellow {
		t.Errorf("delta for the scanner: %+v", sl)
	}
	// Another institution sees none of it.
	if a, _ := e.Srv.Store().Alerts(t.Context(), "other"); len(a) != 0 {
		t.Errorf("alerts leak to another institution: %+v", a)
	}
}

// TestStoredRecordIsWhatWasSent: a record survives the round trip through
// the batch, the store and back, in both decoding paths.
func testStoredRecordIsWhatWasSent(t *testing.T, open Open) {
	e := NewEnv(t, open, Options{})
	d := e.Enroll(t, "clinic", "door")
	r := NewRecord(d, "door", "op \"quoted\" }", e.Clock.Now())
	r.Sealed = []byte{1, 2, 3}
	r.ManualReason = "no phone"
	e.Upload(t, d, []healthcode.Record{r}, "")
	got, err := e.Srv.Store().Record(t.Context(), d.ID, r.ID)
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

// testRecordUniqueAcrossDays: (device, record id) stays unique when a
// retry carries another time (in PostgreSQL: another day's partition).
func testRecordUniqueAcrossDays(t *testing.T, open Open) {
	e := NewEnv(t, open, Options{})
	d := e.Enroll(t, "clinic", "door")
	d2 := e.Enroll(t, "clinic", "back")
	now := e.Clock.Now()
	r := NewRecord(d, "door", "a", now)
	if rr := e.Upload(t, d, []healthcode.Record{r}, ""); rr.Stored != 1 {
		t.Fatalf("first upload: %+v", rr)
	}
	again := r
	again.CorrectedTime = now.Add(-50 * time.Hour) // two days earlier
	again.Time = again.CorrectedTime
	if rr := e.Upload(t, d, []healthcode.Record{again}, ""); rr.Duplicate != 1 {
		t.Fatalf("same record id on another day: %+v, want a duplicate", rr)
	}
	// The same id from another device is another record.
	other := r
	other.DeviceID, other.Gate = d2.ID, "back"
	if rr := e.Upload(t, d2, []healthcode.Record{other}, ""); rr.Stored != 1 {
		t.Fatalf("same id, other device: %+v", rr)
	}
	if n := e.CountRecords(t, "clinic"); n != 2 {
		t.Fatalf("%d records, want 2", n)
	}
	got, err := e.Srv.Store().Record(t.Context(), d.ID, r.ID)
	if err != nil || !got.CorrectedTime.Equal(now) {
		t.Errorf("the first upload's record is not the one kept: %v %v", got.CorrectedTime, err)
	}
	if _, err := e.Srv.Store().Record(t.Context(), d.ID, "0190c0de-0000-7000-8000-000000000000"); !errors.Is(err, server.ErrNotFound) {
		t.Errorf("unknown record: %v", err)
	}
}
