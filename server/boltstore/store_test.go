package boltstore_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"hcscan/server"
	"hcscan/server/boltstore"
	"hcscan/server/storetest"
)

// open is a new store in its own file in t.TempDir().
func open(t testing.TB, o storetest.Options) server.Store {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "server.db"), boltstore.Options{StatusHistory: o.StatusHistory})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestStore(t *testing.T) { storetest.Run(t, open) }

// TestSecondOpenIsRefused: bbolt admits one process; a second gets ErrBusy
// at once instead of waiting, and the file is private.
func TestSecondOpenIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "server.db")
	st, err := boltstore.Open(path, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := boltstore.Open(path, boltstore.Options{}); !errors.Is(err, boltstore.ErrBusy) {
		t.Fatalf("second open: %v, want ErrBusy", err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("server.db mode: %v %v", fi.Mode(), err)
	}
}
