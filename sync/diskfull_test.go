package sync

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"hcscan/protocol"
	"hcscan/server"
	"hcscan/server/boltstore"
)

// TestProvinceDiskFull: the province's bbolt file on a real 8 MiB tmpfs (6 MiB of it taken)
// fills up during an upload. The scanner is told the truth ("the
// province's storage is full; records stay on this scanner"), as a
// temporary failure with Retry-After, keeps every record not yet
// acknowledged, and delivers them all once there is room again.
func TestProvinceDiskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	keys := t.TempDir()
	if _, err := server.InitKeys(keys, server.DefaultRegions); err != nil {
		t.Fatal(err)
	}
	disk := t.TempDir()
	if err := syscall.Mount("tmpfs", disk, "tmpfs", 0, "size=8m,mode=0700"); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(disk, syscall.MNT_DETACH) })
	// Ballast to free later, so the same file goes on once there is room.
	ballast := filepath.Join(disk, "ballast")
	if err := os.WriteFile(ballast, make([]byte, 6<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := boltstore.Open(filepath.Join(disk, "server.db"), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(t.Context(), server.Config{Dir: keys, Store: st, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler(nil))
	t.Cleanup(func() { hs.Close(); srv.Close() })
	w := &world{t: t, dir: keys, srv: srv, hs: hs, URL: hs.URL}
	scanner := w.scanner(w.URL)
	ids := fill(t, scanner, 6000)
	c := newClient(t, scanner, Options{BatchSize: 500})

	_, err = c.SyncOnce(context.Background(), nil)
	var se *ServerError
	if !errors.As(err, &se) || se.Code != protocol.ErrStorageFull || se.RetryAfter <= 0 || !Retryable(err) {
		t.Fatalf("sync onto a full disk: %v; want a temporary storage_full with Retry-After", err)
	}
	if !strings.Contains(err.Error(), "the province's storage is full; records stay on this scanner") {
		t.Errorf("operator message: %q", err.Error())
	}
	if n, _ := scanner.Pending(); n == 0 {
		t.Fatalf("every record left the outbox although the disk filled")
	}
	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err = c.SyncOnce(context.Background(), nil); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sync after freeing room: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	w.assertExactlyOnce(t, scanner, ids)
}
