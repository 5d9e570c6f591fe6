package store

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"hcscan/healthcode"
)

// clock is a settable test clock.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

var t0 = time.Date(2022, 4, 12, 9, 30, 0, 0, time.FixedZone("CST", 8*3600))

func openTest(t testing.TB, path string, c *clock) *Store {
	t.Helper()
	s, err := Open(path, Options{Now: c.Now, Location: t0.Location()})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newTest(t testing.TB) (*Store, *clock, string) {
	t.Helper()
	c := &clock{t0}
	path := filepath.Join(t.TempDir(), "hcscan.db")
	return openTest(t, path, c), c, path
}

// rec makes a record of check i at time at.
func rec(i int, at time.Time, v healthcode.Verdict) *healthcode.Record {
	var h healthcode.CodeHash
	copy(h[:], fmt.Sprintf("code-%011d", i))
	r := &healthcode.Record{
		DeviceID: "dev-1", Institution: "inst-42", Gate: "north", Operator: "王芳",
		Time: at, CorrectedTime: at, CodeHash: h,
		ScannedColour: healthcode.Green, EffectiveColour: healthcode.Green,
		Verdict: v, Temperature: 365, Disposition: healthcode.DispositionPass,
		Name: "张*丰", IDMasked: "110***********1234", Region: 110000, Lang: "zh",
	}
	if v == healthcode.VerdictStop {
		r.Fever, r.Temperature, r.Disposition = true, 381, healthcode.DispositionSendToClinic
	}
	return r
}

func mustAppend(t testing.TB, s *Store, r *healthcode.Record) {
	t.Helper()
	if err := s.Append(context.Background(), r); err != nil {
		t.Fatalf("append: %v", err)
	}
}

// checkFile opens path with bbolt directly and runs its consistency check.
func checkFile(t testing.TB, path string) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatalf("bbolt open %s: %v", path, err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatalf("bbolt check %s: %v", path, err)
	}
}

// logBuffer is a slog logger that writes into a buffer.
func logBuffer() (*slog.Logger, *bytes.Buffer) {
	var buf bytes.Buffer
	return slog.New(slog.NewTextHandler(&buf, nil)), &buf
}
