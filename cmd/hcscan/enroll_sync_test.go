package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"hcscan/healthcode"
	"hcscan/protocol"
	"hcscan/server"
	"hcscan/server/boltstore"
	"hcscan/store"
)

// provinceOnLoopback runs the real reference server on loopback.
func provinceOnLoopback(t *testing.T) (*server.Server, string) {
	t.Helper()
	dir := t.TempDir()
	if _, err := server.InitKeys(dir, server.DefaultRegions); err != nil {
		t.Fatal(err)
	}
	st, err := boltstore.Open(filepath.Join(dir, "server.db"), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(t.Context(), server.Config{Dir: dir, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler(nil))
	t.Cleanup(func() { hs.Close(); srv.Close() })
	return srv, hs.URL
}

func isolateConfig(t *testing.T) {
	t.Setenv("HCSCAN_CONFIG", "")
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
}

func TestEnrollAndSyncCommands(t *testing.T) {
	isolateConfig(t)
	srv, url := provinceOnLoopback(t)
	tok, _, err := srv.NewToken(t.Context(), server.TokenEnroll, "第一中学", "north gate")
	if err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(t.TempDir(), "hcscan.db")
	fp := protocol.Fingerprint(srv.Keys().Root.Public().(ed25519.PublicKey))

	// A wrong pin: refused with exit 1, and the data file stays unenrolled.
	var out, errb bytes.Buffer
	tok2, _, _ := srv.NewToken(t.Context(), server.TokenEnroll, "第一中学", "north gate")
	if code := hcscanMain(nil, &out, &errb, "enroll", "--data", data, "--server", url, "--token", tok2, "--pin-root", strings.Repeat("0", 64)); code != exitInvalid {
		t.Fatalf("wrong pin: exit %d, stderr %s", code, errb.String())
	}
	if !strings.Contains(errb.String(), "refusing it before sending the token") {
		t.Fatalf("wrong pin message: %s", errb.String())
	}
	// The refusal did not spend the token: it enrols with the right pin.
	tok = tok2

	out.Reset()
	errb.Reset()
	code := hcscanMain(strings.NewReader(tok+"\n"), &out, &errb, "enroll", "--data", data, "--server", url, "--token", "-", "--pin-root", fp[:16])
	if code != exitOK || !strings.Contains(out.String(), "Enrolled as device") || !strings.Contains(out.String(), fp) {
		t.Fatalf("enrol: exit %d\nstdout %s\nstderr %s", code, out.String(), errb.String())
	}
	fi, err := os.Stat(filepath.Join(filepath.Dir(data), store.DeviceKeyFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("device key: %v %v", err, fi)
	}

	// 1,200 waiting records.
	st, err := store.Open(data, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	recs := make([]*healthcode.Record, 1200)
	for i := range recs {
		u, _ := uuid.NewV7()
		var id healthcode.CodeID
		rand.Read(id[:])
		recs[i] = &healthcode.Record{ID: u.String(), Time: time.Now(), CodeHash: id.Hash(), Gate: "north gate",
			ScannedColour: healthcode.Green, EffectiveColour: healthcode.Green, Verdict: healthcode.VerdictPass,
			Disposition: healthcode.DispositionPass}
	}
	if err := st.AppendBatch(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	dev, _, _ := st.Device()
	st.Close()

	out.Reset()
	errb.Reset()
	if code := hcscanMain(nil, &out, &errb, "sync", "--data", data); code != exitOK {
		t.Fatalf("sync: exit %d\nstdout %s\nstderr %s", code, out.String(), errb.String())
	}
	if !strings.Contains(errb.String(), "uploaded 1200/1200 [##############################]") ||
		!strings.Contains(errb.String(), "uploaded 0/1200 [....") {
		t.Fatalf("progress on stderr:\n%s", errb.String())
	}
	if !strings.Contains(out.String(), "Uploaded 1200 records; 0 still waiting.") {
		t.Fatalf("summary:\n%s", out.String())
	}
	held, err := srv.Store().Records(t.Context(), server.RecordQuery{Institution: dev.Institution, Limit: 5000})
	if err != nil || len(held) != 1200 {
		t.Fatalf("server holds %d records (%v)", len(held), err)
	}

	// The server goes away: exit 1 with a sentence, the records stay.
	st, err = store.Open(data, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	d, _, _ := st.Device()
	d.ServerURL = "http://127.0.0.1:1" // nothing listens there
	if err := st.SaveDevice(d); err != nil {
		t.Fatal(err)
	}
	st.Close()
	out.Reset()
	errb.Reset()
	if code := hcscanMain(nil, &out, &errb, "sync", "--data", data, "--retries", "0"); code != exitInvalid {
		t.Fatalf("sync without server: exit %d", code)
	}
	if !strings.Contains(errb.String(), "cannot reach the province server at http://127.0.0.1:1") {
		t.Fatalf("no clear sentence: %s", errb.String())
	}
}

func TestSyncCommandNeedsEnrolment(t *testing.T) {
	isolateConfig(t)
	data := filepath.Join(t.TempDir(), "hcscan.db")
	var out, errb bytes.Buffer
	if code := hcscanMain(nil, &out, &errb, "sync", "--data", data); code != exitUsage || !strings.Contains(errb.String(), "enrol first") {
		t.Fatalf("no data file: exit %d %s", code, errb.String())
	}
	st, err := store.Open(data, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	errb.Reset()
	if code := hcscanMain(nil, &out, &errb, "sync", "--data", data); code != exitUsage || !strings.Contains(errb.String(), "not enrolled") {
		t.Fatalf("not enrolled: exit %d %s", code, errb.String())
	}
}
