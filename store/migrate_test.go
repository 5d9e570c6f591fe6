package store

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"hcscan/healthcode"
)

// writeSchema1 builds a data file in the first layout by hand: no counters,
// no provisional index, no alerts bucket.
func writeSchema1(t *testing.T, path string, recs []*healthcode.Record, pending map[uint64]bool) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range schemaBuckets[1] {
			if _, err := tx.CreateBucket(name); err != nil {
				return err
			}
		}
		tx.Bucket(bMeta).Put(kSchema, u64(1))
		for i, r := range recs {
			r.Seq = uint64(i + 1)
			r.ID = "0190a0e0-0000-7000-8000-00000000000" + string(rune('a'+i))
			v, _ := json.Marshal(r)
			tx.Bucket(bRecords).Put(u64(r.Seq), v)
			tx.Bucket(bRecords).SetSequence(r.Seq)
			tx.Bucket(bIDs).Put([]byte(r.ID), u64(r.Seq))
			if pending[r.Seq] {
				tx.Bucket(bOutbox).Put(u64(r.Seq), nil)
			} else {
				tx.Bucket(bAcked).Put(ackedKey(r.Time, r.Seq), u64(uint64(r.Time.UnixNano())))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestMigrationFromSchema1RunsOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	prov := rec(1, t0, healthcode.VerdictPass)
	prov.Provisional = true
	recs := []*healthcode.Record{
		rec(0, t0.AddDate(0, 0, -1), healthcode.VerdictPass),
		prov,
		rec(2, t0.Add(time.Minute), healthcode.VerdictStop),
		rec(3, t0.Add(2*time.Minute), healthcode.VerdictInvalid),
	}
	writeSchema1(t, path, recs, map[uint64]bool{2: true, 3: true, 4: true})

	c := &clock{t0}
	logger, logs := logBuffer()
	s, err := Open(path, Options{Now: c.Now, Location: t0.Location(), Logger: logger})
	if err != nil {
		t.Fatalf("open schema 1 file: %v", err)
	}
	if n := strings.Count(logs.String(), "data file upgraded"); n != 1 {
		t.Fatalf("upgrade logged %d times:\n%s", n, logs)
	}
	if n, _ := s.Pending(); n != 3 {
		t.Fatalf("pending after migration = %d, want 3", n)
	}
	if n, _ := s.Count(); n != 4 {
		t.Fatalf("count after migration = %d", n)
	}
	if td, _ := s.Today(); td != (healthcode.Tally{Total: 3, Passed: 1, Stopped: 1, Invalid: 1, Fever: 1, Provisional: 1}) {
		t.Fatalf("today after migration = %+v", td)
	}
	if y, _ := s.Day(t0.AddDate(0, 0, -1)); y.Total != 1 {
		t.Fatalf("yesterday after migration = %+v", y)
	}
	// The provisional index was built: a late red status raises an alert.
	alerts, err := s.ApplyStatus([]healthcode.StatusEntry{{Hash: prov.CodeHash, Colour: healthcode.Red, Updated: t0.Add(-time.Hour), Seq: 1}}, 1, t0)
	if err != nil || len(alerts) != 1 || alerts[0].RecordID != prov.ID {
		t.Fatalf("alerts after migration = %+v %v", alerts, err)
	}
	// New appends continue the old sequence; the old records read back.
	r := rec(9, t0.Add(time.Hour), healthcode.VerdictPass)
	mustAppend(t, s, r)
	if r.Seq != 5 {
		t.Fatalf("seq after migration = %d, want 5", r.Seq)
	}
	if e, err := s.ByID(recs[0].ID); err != nil || e.State != StateUploaded {
		t.Fatalf("old acked record: %+v %v", e, err)
	}
	s.Close()

	logs.Reset()
	s, err = Open(path, Options{Now: c.Now, Location: t0.Location(), Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logs.String(), "data file upgraded") {
		t.Fatalf("migration ran again:\n%s", logs)
	}
	if n, _ := s.Pending(); n != 4 {
		t.Fatalf("pending on second open = %d, want 4", n)
	}
	s.Close()
	checkFile(t, path)
}

func TestReadOnlyOpenOfOldSchemaAsksForUpgrade(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	writeSchema1(t, path, []*healthcode.Record{rec(0, t0, healthcode.VerdictPass)}, nil)
	_, err := Open(path, Options{ReadOnly: true})
	if err == nil || !strings.Contains(err.Error(), "older schema 1") {
		t.Fatalf("read-only open of schema 1: %v", err)
	}
}
