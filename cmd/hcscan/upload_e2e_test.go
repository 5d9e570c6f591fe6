package main

import (
	"context"
	"log/slog"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"hcscan/server/boltstore"
)

// Records go up as soon as they are saved, and reach a server that was
// stopped and started again within seconds of its return: the real
// hcserver program, the real screen with a handheld scanner typing codes,
// the background sync as hcscan run starts it (its 30 s interval
// untouched), and the server's own data file read afterwards.
func TestRecordsReachTheServerAtOnceAndAfterARestart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := slog.New(slog.DiscardHandler)
	bin := binaries(t)
	w, err := buildDemo(ctx, demoOptions{Dir: t.TempDir(), HCServer: filepath.Join(bin, "hcserver"), Log: log,
		Pace: demoPacing{FPS: 4, FramesPerPerson: 1, GapFrames: 1, LeadFrames: 1}})
	defer func() { w.Close() }()
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Camera.Source = filepath.Join(t.TempDir(), "no-camera")
	cfg.UI.Language = "en"
	f := startFlow(t, ctx, screenConfig{cfg: cfg, dataPath: w.DataPath}, 100, 30)
	f.wait("Operator sign-in")
	f.signIn(w.Operator, w.PIN)
	f.wait("Ready")

	person := func(name, id string) {
		t.Helper()
		f.scanGun(issueCode(t, ctx, w, "green", name, id))
		f.wait("Type the temperature")
		f.typeText("36.5")
		f.enter()
		f.wait("✔ saved")
	}
	// Online: the record leaves the outbox (the server acknowledged it)
	// within 3 s, long before the 30 s sync interval.
	person("钱九", "110108200001011234")
	saved := time.Now()
	if took := waitOutbox(t, f, 0, 15*time.Second); took > 3*time.Second {
		t.Errorf("online, the record reached the server %v after it was saved; want within 3 s", time.Since(saved))
	}

	// The server stops: two people are saved and wait.
	w.server.Stop()
	u, err := url.Parse(w.URL)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(2500 * time.Millisecond) // back to ready after the pass
	person("孙十", "110108200202021234")
	time.Sleep(2500 * time.Millisecond)
	person("周十一", "110108200303031234")
	waitOutbox(t, f, 2, 5*time.Second)
	time.Sleep(8 * time.Second) // offline long enough for a backoff to have grown

	// The server starts again on the same address: the records are there
	// within 10 s.
	w.server, err = startServer(ctx, filepath.Join(bin, "hcserver"), []string{"--data", w.Province, "--addr", u.Host, "--db="}, nopWriter{})
	if err != nil {
		t.Fatal(err)
	}
	restarted := time.Now()
	waitOutbox(t, f, 0, 30*time.Second)
	if took := time.Since(restarted); took > 10*time.Second {
		t.Errorf("after the restart the records reached the server in %v; want within 10 s", took)
	}
	recs := f.records()
	f.quit()
	w.server.Stop()

	db, err := boltstore.Open(filepath.Join(w.Province, "server.db"), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if len(recs) != 3 {
		t.Fatalf("%d records on the scanner, want 3", len(recs))
	}
	for _, r := range recs {
		got, err := db.Record(context.Background(), r.DeviceID, r.ID)
		if err != nil || got.ID != r.ID {
			t.Errorf("record %s (%s) is not on the server: %v", r.ID, r.Name, err)
		}
	}
}

// waitOutbox waits until n records wait for upload and says how long it took.
func waitOutbox(t *testing.T, f *flow, n int, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		got, err := f.st.Pending()
		if err != nil {
			t.Fatal(err)
		}
		if got == n {
			return time.Since(start)
		}
		if time.Since(start) > within {
			t.Fatalf("%d records waiting after %v, want %d", got, within, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type nopWriter struct{}

func (nopWriter) Write(p []byte) (int, error) { return len(p), nil }
