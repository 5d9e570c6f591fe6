package store

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"hcscan/healthcode"
)

func TestInspectHealthyFile(t *testing.T) {
	s, _, path := newTest(t)
	var ids []string
	for i := 0; i < 6; i++ {
		r := rec(i, t0.Add(time.Duration(i)*time.Minute), healthcode.VerdictPass)
		mustAppend(t, s, r)
		ids = append(ids, r.ID)
	}
	s.Ack(ids[:2])
	s.DeadLetter(ids[2], "bad")
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	s.SaveDevice(Device{ID: "dev-9", Key: key})
	s.Close()

	rep, err := Inspect(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Healthy() {
		t.Fatalf("problems: %v", rep.Problems)
	}
	if rep.Records != 6 || rep.Pending != 3 || rep.Uploaded != 2 || rep.Rejected != 1 || rep.Schema != SchemaVersion {
		t.Fatalf("report = %+v", rep)
	}
	if !rep.OldestPending.Equal(t0.Add(3*time.Minute)) || !rep.Enrolled || rep.DeviceID != "dev-9" || rep.KeyFileMode != 0o600 {
		t.Fatalf("report = %+v", rep)
	}
	if rep.Size <= 0 || rep.FreeBytes == 0 {
		t.Fatalf("size %d free %d", rep.Size, rep.FreeBytes)
	}
}

// damageRecordsPage overwrites the body of one leaf page that holds
// records, the way a bad sector would.
func damageRecordsPage(t *testing.T, path string) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, PreLoadFreelist: true})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	pageSize := db.Info().PageSize
	victim := -1
	db.View(func(tx *bolt.Tx) error {
		n := int(tx.Size()) / pageSize
		for id := n / 2; id < n; id++ {
			pi, err := tx.Page(id)
			if err != nil || pi == nil || pi.Type != "leaf" {
				continue
			}
			if bytes.Contains(raw[id*pageSize:(id+1)*pageSize], []byte(`"device_id"`)) {
				victim = id
				return nil
			}
		}
		return nil
	})
	db.Close()
	if victim < 0 {
		t.Fatal("no records page found to damage")
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	junk := bytes.Repeat([]byte{0xA5, 0x5A, 0x13}, pageSize/3)
	f.WriteAt(junk[:pageSize-16], int64(victim*pageSize+16))
	f.Close()
}

func TestRepairMovesAsideAndSalvages(t *testing.T) {
	s, c, path := newTest(t)
	const n = 3000
	batch := make([]*healthcode.Record, n)
	for i := range batch {
		batch[i] = rec(i, t0.Add(time.Duration(i)*time.Second), healthcode.VerdictPass)
	}
	if err := s.AppendBatch(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	var acked []string
	for _, r := range batch[:1000] {
		acked = append(acked, r.ID)
	}
	s.Ack(acked)
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	s.SaveDevice(Device{ID: "dev-3", Institution: "inst-1", Key: key})
	s.AddOperator("王芳", "2468")
	s.Close()

	damageRecordsPage(t, path)
	damaged, _ := os.ReadFile(path)
	// The running program gets an error, not a crash, from the bad page.
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Each(Filter{}, func(Entry) error { return nil }); err == nil {
		t.Fatal("walking a damaged records page gave no error")
	}
	s.Close()
	rep, _ := Inspect(path, time.Second)
	if rep == nil || rep.Healthy() {
		t.Fatalf("a damaged file was reported healthy: %+v", rep)
	}
	if _, err := os.Stat(path + ".damaged-20220412T093000"); err == nil {
		t.Fatal("inspect moved the file")
	}

	res, err := Repair(path, t0, Options{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	kept, err := os.ReadFile(res.Aside)
	if err != nil || !bytes.Equal(kept, damaged) {
		t.Fatalf("the damaged file was not kept as it was (%v)", err)
	}
	if res.Records+res.Lost < n || res.Records < n/2 || res.Records == n {
		t.Fatalf("salvaged %d, lost %d of %d", res.Records, res.Lost, n)
	}
	if !res.Device {
		t.Fatal("enrolment not salvaged")
	}
	rep, err = Inspect(path, time.Second)
	if err != nil || !rep.Healthy() {
		t.Fatalf("new file: %v %v", err, rep.Problems)
	}
	s2 := openTest(t, path, c)
	if cnt, _ := s2.Count(); cnt != res.Records {
		t.Fatalf("count %d, salvaged %d", cnt, res.Records)
	}
	if p, _ := s2.Pending(); p != res.Pending || p > n-1000+res.Lost+1000 {
		t.Fatalf("pending %d, repair said %d", p, res.Pending)
	}
	if e, err := s2.ByID(batch[n-1].ID); err == nil && e.State != StatePending {
		t.Fatalf("a pending record came back as %s", e.State)
	}
	if d, ok, _ := s2.Device(); !ok || d.ID != "dev-3" || !d.Key.Equal(key) {
		t.Fatalf("device after repair = %+v", d)
	}
	if ok, _ := s2.CheckPIN("王芳", "2468"); !ok {
		t.Fatal("operator lost in repair")
	}
	r := rec(n+1, t0, healthcode.VerdictPass)
	mustAppend(t, s2, r)
	if r.Seq <= n-1 {
		t.Fatalf("sequence restarted after repair: %d", r.Seq)
	}
}

func TestRepairOfUnreadableFileStartsEmpty(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hcscan.db")
	os.WriteFile(path, bytes.Repeat([]byte("garbage!"), 4096), 0o600)
	res, err := Repair(path, t0, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Records != 0 || len(res.Messages) == 0 {
		t.Fatalf("repair = %+v", res)
	}
	if b, _ := os.ReadFile(res.Aside); !bytes.Equal(b, bytes.Repeat([]byte("garbage!"), 4096)) {
		t.Fatal("the damaged file was not kept")
	}
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}

func TestRepairRefusesAFileInUse(t *testing.T) {
	_, _, path := newTest(t)
	if _, err := Repair(path, t0, Options{}); !errors.Is(err, ErrLocked) {
		t.Fatalf("repair of a held file: %v", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal("the held file was moved")
	}
}
