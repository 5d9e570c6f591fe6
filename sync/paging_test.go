package sync

import (
	"context"
	"net/http/httptest"
	"testing"

	"hcscan/healthcode"
	"hcscan/server"
)

// TestStatusComesInPages: a server that answers at most 3 status entries
// at a time; the scanner asks for page after page and ends up with every
// code, for the snapshot and for a delta.
func TestStatusComesInPages(t *testing.T) {
	dir := t.TempDir()
	if _, err := server.InitKeys(dir, server.DefaultRegions); err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(t.Context(), server.Config{Dir: dir, Store: serverStore(t, dir, 0), Logger: testLogger(t), StatusPage: 3})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler(nil))
	t.Cleanup(func() { hs.Close(); srv.Close() })
	w := &world{t: t, dir: dir, srv: srv, hs: hs, URL: hs.URL}
	st := w.scanner(w.URL)
	c := newClient(t, st, Options{})
	set := func(from, to byte) {
		var changes []server.StatusChange
		for b := from; b < to; b++ {
			changes = append(changes, server.StatusChange{Hash: healthcode.CodeID{b}.Hash(), Colour: healthcode.Red})
		}
		if _, _, err := srv.SetStatus(t.Context(), changes); err != nil {
			t.Fatal(err)
		}
	}
	check := func(what string, n byte, entries int) {
		t.Helper()
		rep, err := c.SyncOnce(context.Background(), nil)
		if err != nil || rep.StatusEntries != entries || rep.StatusSeq != uint64(n) {
			t.Fatalf("%s: %+v %v; want %d entries up to %d", what, rep, err, entries, n)
		}
		for b := byte(0); b < n; b++ {
			if e, ok := st.Lookup(healthcode.CodeID{b}.Hash()); !ok || e.Colour != healthcode.Red {
				t.Fatalf("%s: code %d is not red on the scanner", what, b)
			}
		}
	}
	set(0, 10)
	check("snapshot", 10, 10)
	set(10, 15)
	check("delta", 15, 5)
}
