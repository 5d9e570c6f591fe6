package sync

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"hcscan/healthcode"
	"hcscan/server"
	"hcscan/server/boltstore"
	"hcscan/store"
)

// The tests run the client on the scanner's real data file.
var (
	_ Data           = (*store.Store)(nil)
	_ EnrolmentStore = (*store.Store)(nil)
)

// world is a real provincial server (server.New on its own bbolt store)
// on loopback, and scanners enrolled with it.
type world struct {
	t   testing.TB
	dir string
	srv *server.Server
	hs  *httptest.Server
	URL string
}

func newWorld(t testing.TB) *world {
	t.Helper()
	dir := t.TempDir()
	if _, err := server.InitKeys(dir, server.DefaultRegions); err != nil {
		t.Fatal(err)
	}
	return startWorld(t, dir)
}

func startWorld(t testing.TB, dir string) *world {
	t.Helper()
	srv, err := server.New(t.Context(), server.Config{Dir: dir, Store: serverStore(t, dir, 0), Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler(nil))
	w := &world{t: t, dir: dir, srv: srv, hs: hs, URL: hs.URL}
	t.Cleanup(func() {
		hs.Close()
		srv.Close()
	})
	return w
}

// serverStore is the province's bbolt file in dir, keeping history status
// changes for deltas (0: the default).
func serverStore(t testing.TB, dir string, history int) server.Store {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(dir, "server.db"), boltstore.Options{StatusHistory: history})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("HCSCAN_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func (w *world) token(institution, gate string) string {
	w.t.Helper()
	tok, _, err := w.srv.NewToken(w.t.Context(), server.TokenEnroll, institution, gate)
	if err != nil {
		w.t.Fatal(err)
	}
	return tok
}

// openStore opens a scanner data file in dir (a new temp dir when "").
func openStore(t testing.TB, dir string) *store.Store {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	st, err := store.Open(filepath.Join(dir, "hcscan.db"), store.Options{Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// scanner enrols a new scanner (its own data file) at server url.
func (w *world) scanner(url string) *store.Store {
	w.t.Helper()
	st := openStore(w.t, "")
	if _, err := Enroll(context.Background(), st, EnrollOptions{ServerURL: url, Token: w.token("第一中学", "north gate")}); err != nil {
		w.t.Fatal(err)
	}
	return st
}

func newClient(t testing.TB, st *store.Store, o Options) *Client {
	t.Helper()
	if o.Logger == nil {
		o.Logger = testLogger(t)
	}
	c, err := New(st, o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// makeRecords makes n green passes, a second apart from start.
func makeRecords(n int, start time.Time) []*healthcode.Record {
	recs := make([]*healthcode.Record, n)
	for i := range recs {
		var id healthcode.CodeID
		rand.Read(id[:])
		at := start.Add(time.Duration(i) * time.Second)
		u, _ := uuid.NewV7()
		recs[i] = &healthcode.Record{
			ID: u.String(), Institution: "第一中学", Gate: "north gate", Operator: "王*",
			Time: at, CorrectedTime: at, CodeHash: id.Hash(),
			ScannedColour: healthcode.Green, EffectiveColour: healthcode.Green,
			Verdict: healthcode.VerdictPass, Temperature: 365, Disposition: healthcode.DispositionPass,
			Name: "张*三", IDMasked: "110***********1234", Region: 110000, Lang: "zh",
		}
	}
	return recs
}

// fill appends n records to the outbox and returns their ids.
func fill(t testing.TB, st *store.Store, n int) []string {
	t.Helper()
	recs := makeRecords(n, time.Now().Add(-time.Hour))
	ids := make([]string, n)
	for i := 0; i < n; i += 1000 {
		j := min(i+1000, n)
		if err := st.AppendBatch(context.Background(), recs[i:j]); err != nil {
			t.Fatal(err)
		}
	}
	for i, r := range recs {
		ids[i] = r.ID
	}
	return ids
}

// assertExactlyOnce checks that the server holds each id of device dev
// exactly once, holds nothing else from it, and that the outbox is empty.
func (w *world) assertExactlyOnce(t testing.TB, st *store.Store, ids []string) {
	t.Helper()
	dev, _, err := st.Device()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		r, err := w.srv.Store().Record(t.Context(), dev.ID, id)
		if err != nil {
			t.Fatalf("record %s is not on the server: %v", id, err)
		}
		if r.ID != id || r.DeviceID != dev.ID {
			t.Fatalf("record %s on the server is %s from %s", id, r.ID, r.DeviceID)
		}
	}
	all, err := w.srv.Store().Records(t.Context(), server.RecordQuery{Institution: dev.Institution, Limit: 10 * (len(ids) + 10)})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, r := range all {
		if r.DeviceID == dev.ID {
			seen[r.ID]++
		}
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("record %s is on the server %d times", id, n)
		}
	}
	if len(seen) != len(ids) {
		t.Fatalf("server holds %d records of the device, want %d", len(seen), len(ids))
	}
	pending, err := st.Pending()
	if err != nil {
		t.Fatal(err)
	}
	if batch, _ := st.PendingBatch(1); pending != 0 || len(batch) != 0 {
		t.Fatalf("outbox not empty: pending=%d first=%v", pending, batch)
	}
}

func fmtIDs(ids []string) string {
	if len(ids) > 3 {
		return fmt.Sprintf("%v… (%d)", ids[:3], len(ids))
	}
	return fmt.Sprint(ids)
}
