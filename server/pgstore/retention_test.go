package pgstore

import (
	"fmt"
	"testing"
	"time"

	"hcscan/healthcode"
	"hcscan/internal/pgtest"
	"hcscan/server"
	"hcscan/server/storetest"
)

// testDropDaysBefore: the days before the retention period go whole (their
// partitions, their records' keys, provisional passes and alerts, and the
// old records waiting in records_default); the days after stay untouched;
// a second run finds nothing more to drop.
func testDropDaysBefore(t *testing.T, pg *pgtest.Server) {
	var dbURL string
	var st *Store
	e := storetest.NewEnv(t, func(t testing.TB, o storetest.Options) server.Store {
		dbURL = pg.NewDatabase(t)
		st = openTest(t, dbURL, o)
		return st
	}, storetest.Options{})
	d := e.Enroll(t, "clinic", "door")
	now := e.Clock.Now()
	keep := []healthcode.Record{storetest.NewRecord(d, "door", "a", now), storetest.NewRecord(d, "door", "a", now.AddDate(0, 0, -10))}
	drop := []healthcode.Record{storetest.NewRecord(d, "door", "a", now.AddDate(0, 0, -100)), storetest.NewRecord(d, "door", "a", now.AddDate(-3, 0, 0))}
	drop[0].Provisional = true
	if rr := e.Upload(t, d, append(append([]healthcode.Record{}, keep...), drop...), ""); rr.Stored != 4 {
		t.Fatalf("upload: %+v", rr)
	}
	if _, _, err := st.SetStatus(t.Context(), []server.StatusChange{{Hash: drop[0].CodeHash, Colour: healthcode.Red}}, now); err != nil {
		t.Fatal(err)
	}
	if n := pg.Query(t, dbURL, `SELECT count(*) FROM alerts`); n != "1" {
		t.Fatalf("%s alerts before, want 1", n)
	}
	old := "records_" + now.AddDate(0, 0, -100).UTC().Format("20060102")
	dropped, err := st.DropDaysBefore(t.Context(), now.AddDate(0, 0, -30))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(dropped) != "["+old+"]" {
		t.Errorf("dropped %v, want [%s]", dropped, old)
	}
	if exists := pg.Query(t, dbURL, fmt.Sprintf(`SELECT to_regclass('%s') IS NOT NULL`, old)); exists != "false" {
		t.Errorf("partition %s still exists", old)
	}
	for table, want := range map[string]string{"records": "2", "record_keys": "2", "provisional_passes": "0", "alerts": "0", "records_default": "0",
		"record_counts": "2"} {
		if n := pg.Query(t, dbURL, "SELECT count(*) FROM "+table); n != want {
			t.Errorf("%s holds %s rows after the drop, want %s", table, n, want)
		}
	}
	for _, r := range keep {
		if _, err := st.Record(t.Context(), d.ID, r.ID); err != nil {
			t.Errorf("record of %v is gone: %v", r.CorrectedTime, err)
		}
	}
	for _, r := range drop {
		if _, err := st.Record(t.Context(), d.ID, r.ID); err == nil {
			t.Errorf("record of %v is still there", r.CorrectedTime)
		}
	}
	// Totals counted from the hourly counts have lost the dropped days too.
	if n, err := st.CountRecords(t.Context(), server.RecordQuery{Institution: "clinic"}); err != nil || n != 2 {
		t.Errorf("count after the drop: %d %v, want 2", n, err)
	}
	if n, err := st.CountRecords(t.Context(), server.RecordQuery{Institution: "clinic", From: now.AddDate(-4, 0, 0).Truncate(time.Hour)}); err != nil || n != 2 {
		t.Errorf("count since four years ago after the drop: %d %v, want 2", n, err)
	}
	if again, err := st.DropDaysBefore(t.Context(), now.AddDate(0, 0, -30)); err != nil || len(again) != 0 {
		t.Errorf("second run dropped %v, %v", again, err)
	}
	// Uploads go on: the kept days take records as before.
	if rr := e.Upload(t, d, []healthcode.Record{storetest.NewRecord(d, "door", "a", now.Add(time.Minute))}, ""); rr.Stored != 1 {
		t.Errorf("upload after the drop: %+v", rr)
	}
}
