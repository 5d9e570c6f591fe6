package server

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
)

func TestSealKeyInKeysDirAndEnrolReply(t *testing.T) {
	dir := t.TempDir()
	k, err := InitKeys(dir, DefaultRegions)
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
	loaded, err := LoadKeys(dir)
	if err != nil || loaded.SealCreated || !bytes.Equal(loaded.SealPublic(), k.SealPublic()) || len(k.SealPublic()) != 32 {
		t.Fatalf("load: created %v, same key %v, %v", loaded.SealCreated, bytes.Equal(loaded.SealPublic(), k.SealPublic()), err)
	}

	// A key directory from before seal.key gets one on load, with a log line.
	os.Remove(filepath.Join(dir, "seal.key"))
	os.Remove(filepath.Join(dir, "seal.pub"))
	var logs bytes.Buffer
	s, err := New(Config{Dir: dir, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
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
	again, err := LoadKeys(dir)
	if err != nil || again.SealCreated || !bytes.Equal(again.SealPublic(), s.Keys().SealPublic()) {
		t.Errorf("second load makes another key: %v", err)
	}
}

func TestEnrolReplySignsTheSealKey(t *testing.T) {
	e := newEnv(t, nil)
	d := e.enroll(t, "clinic", "door")
	pub := d.key.Public().(ed25519.PublicKey)
	if _, err := d.rep.Verify(pub); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(d.rep.SealKey, e.srv.Keys().SealPublic()) {
		t.Fatalf("reply seal key %x, server's %x", d.rep.SealKey, e.srv.Keys().SealPublic())
	}
	// A seal key swapped on the way (a proxy that wants to read manual
	// entries) breaks the signature; a reply without one is refused.
	swapped := d.rep
	swapped.SealKey = make([]byte, 32)
	rand.Read(swapped.SealKey)
	if _, err := swapped.Verify(pub); err == nil || !strings.Contains(err.Error(), "not signed") {
		t.Errorf("swapped seal key: %v", err)
	}
	var none protocol.EnrollReply = d.rep
	none.SealKey = nil
	if _, err := none.Verify(pub); err == nil || !strings.Contains(err.Error(), "sealing key") {
		t.Errorf("no seal key: %v", err)
	}
}
