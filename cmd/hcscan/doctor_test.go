package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hcscan/store"
)

func TestDoctorHealthyFile(t *testing.T) {
	path, _ := exportFixture(t)
	var out, errb bytes.Buffer
	if code := doctorCommand([]string{"--data", path}, &out, &errb, fixedNow.Wall); code != exitOK {
		t.Fatalf("exit %d: %s %s", code, out.String(), errb.String())
	}
	for _, want := range []string{"check        ok", "records      4 (waiting for upload 3, uploaded 1, rejected 0)",
		"oldest wait  2022-04-11 18:00", "records are not reaching the province", "free space", "mode 0600", "not enrolled"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

func TestDoctorDamagedFileThenRepair(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hcscan.db")
	garbage := bytes.Repeat([]byte("not bbolt "), 2000)
	os.WriteFile(path, garbage, 0o600)

	var out, errb bytes.Buffer
	if code := doctorCommand([]string{"--data", path}, &out, &errb, fixedNow.Wall); code != exitInvalid {
		t.Fatalf("exit %d on a damaged file: %s", code, out.String())
	}
	if !strings.Contains(out.String(), "DAMAGED") || !strings.Contains(out.String(), "hcscan doctor --data "+path+" --repair") {
		t.Fatalf("report does not give the safe path:\n%s", out.String())
	}
	if b, _ := os.ReadFile(path); !bytes.Equal(b, garbage) {
		t.Fatal("doctor without --repair changed the file")
	}

	out.Reset()
	if code := doctorCommand([]string{"--data", path, "--repair"}, &out, &errb, fixedNow.Wall); code != exitOK {
		t.Fatalf("repair exit %d: %s %s", code, out.String(), errb.String())
	}
	aside := path + ".damaged-" + fixedNow.Wall().Format("20060102T150405")
	if b, err := os.ReadFile(aside); err != nil || !bytes.Equal(b, garbage) {
		t.Fatalf("damaged file not kept at %s: %v\n%s", aside, err, out.String())
	}
	if !strings.Contains(out.String(), "moved the damaged file to "+aside) || !strings.Contains(out.String(), "enrol this device again") {
		t.Fatalf("repair output:\n%s", out.String())
	}
	s, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatalf("new file does not open: %v", err)
	}
	s.Close()

	out.Reset()
	if code := doctorCommand([]string{"--data", path, "--repair"}, &out, &errb, fixedNow.Wall); code != exitOK || !strings.Contains(out.String(), "nothing to repair") {
		t.Fatalf("repair of a healthy file: %d\n%s", code, out.String())
	}
}

func TestDoctorMissingAndHeldFile(t *testing.T) {
	var out, errb bytes.Buffer
	missing := filepath.Join(t.TempDir(), "none.db")
	if code := doctorCommand([]string{"--data", missing}, &out, &errb, fixedNow.Wall); code != exitUsage || !strings.Contains(errb.String(), "no data file at "+missing) {
		t.Fatalf("missing: %d %q", code, errb.String())
	}
	path, _ := exportFixture(t)
	s, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	errb.Reset()
	if code := doctorCommand([]string{"--data", path}, &out, &errb, fixedNow.Wall); code != exitUsage || !strings.Contains(errb.String(), "another hcscan is using "+path) {
		t.Fatalf("held: %d %q", code, errb.String())
	}
}

func TestDataPathDefaultAndConfig(t *testing.T) {
	t.Setenv("HCSCAN_CONFIG", "")
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("XDG_DATA_HOME", "/srv/data")
	if got := dataPath("", DefaultConfig()); got != "/srv/data/hcscan/hcscan.db" {
		t.Fatalf("dataPath = %s", got)
	}
	if got := dataPath("/x/y.db", DefaultConfig()); got != "/x/y.db" {
		t.Fatalf("flag ignored: %s", got)
	}
	t.Setenv("XDG_DATA_HOME", "relative/ignored")
	t.Setenv("HOME", "/home/op")
	if got := dataPath("", DefaultConfig()); got != "/home/op/.local/share/hcscan/hcscan.db" {
		t.Fatalf("dataPath = %s", got)
	}
	// doctor and export find the file through the configuration, as run does.
	dir := t.TempDir()
	cfg := writeConfig(t, "[data]\ndir = \""+dir+"\"\n")
	var out, errb strings.Builder
	if code := doctorCommand([]string{"--config", cfg}, &out, &errb, fixedNow.Wall); code != exitUsage || !strings.Contains(errb.String(), filepath.Join(dir, "hcscan.db")) {
		t.Errorf("doctor --config: %d %q", code, errb.String())
	}
	errb.Reset()
	if code := exportCommand([]string{"--config", cfg}, &out, &errb, fixedNow); code != exitUsage || !strings.Contains(errb.String(), filepath.Join(dir, "hcscan.db")) {
		t.Errorf("export --config: %d %q", code, errb.String())
	}
}
