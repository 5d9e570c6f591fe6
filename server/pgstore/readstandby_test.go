package pgstore

import (
	"context"
	"strings"
	"testing"
	"time"

	"hcscan/healthcode"
	"hcscan/internal/pgtest"
	"hcscan/server"
	"hcscan/server/storetest"
)

// TestPortalReadsFromStandby: with ReadURL on the hot standby, the
// portal's reads of records are answered there: they still
// work after the primary is gone, while writes wait for a primary.
func TestPortalReadsFromStandby(t *testing.T) {
	c := pgtest.StartCluster(t)
	db := c.NewDatabase(t)
	name := strings.Fields(db[strings.Index(db, "dbname=")+len("dbname="):])[0]
	var st *Store
	e := storetest.NewEnv(t, func(t testing.TB, o storetest.Options) server.Store {
		var err error
		st, err = Open(context.Background(), db, Options{Now: o.Now, ReadURL: c.Standby.URL(name)})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}, storetest.Options{})
	d := e.Enroll(t, "clinic", "door")
	recs := []healthcode.Record{storetest.NewRecord(d, "door", "a", e.Clock.Now()), storetest.NewRecord(d, "door", "a", e.Clock.Now().Add(time.Second))}
	if rr := e.Upload(t, d, recs, "k1"); rr.Stored != 2 {
		t.Fatalf("upload: %+v", rr)
	}
	q := server.RecordQuery{Institution: "clinic", Limit: 10}
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := st.Records(t.Context(), q)
		if err == nil && len(got) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the standby shows %d records after 10 s: %v", len(got), err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.Primary.Kill(t)
	if got, err := st.Records(t.Context(), q); err != nil || len(got) != 2 {
		t.Errorf("records with the primary gone: %d, %v; want 2 from the standby", len(got), err)
	}
	if n, err := st.CountRecords(t.Context(), q); err != nil || n != 2 {
		t.Errorf("count with the primary gone: %d, %v", n, err)
	}
	more := []healthcode.Record{storetest.NewRecord(d, "door", "a", e.Clock.Now().Add(2*time.Second))}
	if _, _, err := st.Ingest(t.Context(), server.Device{ID: d.ID, Institution: "clinic", Gate: "door"}, []server.IngestRecord{{ID: more[0].ID, Record: more[0]}}, server.IdempotencyKey{}, e.Clock.Now()); err == nil {
		t.Errorf("a write succeeded with no primary")
	}
}
