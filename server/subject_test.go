package server_test

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hcscan/healthcode"
	"hcscan/server"
	"hcscan/server/storetest"
)

func TestSubjectKeyMadeOnceAndNeverReplaced(t *testing.T) {
	dir := t.TempDir()
	k, err := server.InitKeys(dir, server.DefaultRegions)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "subject.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("subject.key: %v %v", fi, err)
	}
	pk, err := k.PersonKey(healthcode.IDResident, "110105199001011234")
	if err != nil || pk.IsZero() {
		t.Fatal(err)
	}
	loaded, err := server.LoadKeys(dir)
	if err != nil || loaded.SubjectCreated || !bytes.Equal(loaded.Subject, k.Subject) {
		t.Fatalf("load: created %v, %v", loaded.SubjectCreated, err)
	}
	if again, _ := loaded.PersonKey(healthcode.IDResident, "110105199001011234"); again != pk {
		t.Fatal("the loaded subject key gives another person key")
	}

	// A key directory from before subject.key gets one on load, with a log
	// line; a later SIGHUP refuses a changed one.
	os.Remove(filepath.Join(dir, "subject.key"))
	var logs bytes.Buffer
	var dbPath string
	s, err := server.New(t.Context(), server.Config{Dir: dir, Store: boltAt(t, &dbPath)(t, storetest.Options{}), Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !strings.Contains(logs.String(), "made subject.key") {
		t.Errorf("old key dir: log %q", logs.String())
	}
	if fi, err := os.Stat(filepath.Join(dir, "subject.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("subject.key made on load: %v %v", fi, err)
	}
	os.Remove(filepath.Join(dir, "subject.key"))
	if _, err := server.LoadKeys(dir); err != nil {
		t.Fatal(err)
	}
	if err := s.ReloadKeys(t.Context()); err == nil || !strings.Contains(err.Error(), "subject.key changed") {
		t.Errorf("reload with a new subject key: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "subject.key"), []byte("-----BEGIN HCSCAN SUBJECT KEY-----\nAAAA\n-----END HCSCAN SUBJECT KEY-----\n"), 0o600)
	if _, err := server.LoadKeys(dir); err == nil || !strings.Contains(err.Error(), "subject key") {
		t.Errorf("damaged subject.key: %v", err)
	}
}
