package server_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hcscan/protocol"
	"hcscan/server"
	"hcscan/server/storetest"
)

func TestSealKeyInKeysDirAndEnrolReply(t *testing.T) {
	dir := t.TempDir()
	k, err := server.InitKeys(dir, server.DefaultRegions)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, "seal.key"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("seal.key: %v %v", fi, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "seal.pub")); err != nil {
		t.Fatal(err)
	}
	loaded, err := server.LoadKeys(dir)
	if err != nil || loaded.SealCreated || !bytes.Equal(loaded.SealPublic(), k.SealPublic()) || len(k.SealPublic()) != 32 {
		t.Fatalf("load: created %v, same key %v, %v", loaded.SealCreated, bytes.Equal(loaded.SealPublic(), k.SealPublic()), err)
	}

	// A key directory from before seal.key gets one on load, with a log line.
	os.Remove(filepath.Join(dir, "seal.key"))
	os.Remove(filepath.Join(dir, "seal.pub"))
	var logs bytes.Buffer
	var dbPath string
	s, err := server.New(t.Context(), server.Config{Dir: dir, Store: boltAt(t, &dbPath)(t, storetest.Options{}), Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !strings.Contains(logs.String(), "made seal.key") || bytes.Equal(s.Keys().SealPublic(), k.SealPublic()) {
		t.Errorf("old key dir: log %q", logs.String())
	}
	if fi, err := os.Stat(filepath.Join(dir, "seal.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("seal.key made on load: %v %v", fi, err)
	}
	again, err := server.LoadKeys(dir)
	if err != nil || again.SealCreated || !bytes.Equal(again.SealPublic(), s.Keys().SealPublic()) {
		t.Errorf("second load makes another key: %v", err)
	}
}

func TestEnrolReplySignsTheSealKey(t *testing.T) {
	e := newEnv(t)
	d := e.Enroll(t, "clinic", "door")
	pub := d.Key.Public().(ed25519.PublicKey)
	if _, err := d.Rep.Verify(pub); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(d.Rep.SealKey, e.Srv.Keys().SealPublic()) {
		t.Fatalf("reply seal key %x, server's %x", d.Rep.SealKey, e.Srv.Keys().SealPublic())
	}
	// A seal key swapped on the way (a proxy that wants to read manual
	// entries) breaks the signature; a reply without one is refused.
	swapped := d.Rep
	swapped.SealKey = make([]byte, 32)
	rand.Read(swapped.SealKey)
	if _, err := swapped.Verify(pub); err == nil || !strings.Contains(err.Error(), "not signed") {
		t.Errorf("swapped seal key: %v", err)
	}
	var none protocol.EnrollReply = d.Rep
	none.SealKey = nil
	if _, err := none.Verify(pub); err == nil || !strings.Contains(err.Error(), "sealing key") {
		t.Errorf("no seal key: %v", err)
	}
}
