package server_test

import (
	"crypto/ed25519"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hcscan/healthcode"
	"hcscan/protocol"
	"hcscan/server"
	"hcscan/server/boltstore"
	"hcscan/server/storetest"
)

// boltAt opens a store for the tests of this package in a bbolt file at
// path (a new file when path is "").
func boltAt(t testing.TB, path *string) storetest.Open {
	return func(t testing.TB, o storetest.Options) server.Store {
		t.Helper()
		if *path == "" {
			*path = filepath.Join(t.TempDir(), "server.db")
		}
		st, err := boltstore.Open(*path, boltstore.Options{StatusHistory: o.StatusHistory})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
}

func newEnv(t testing.TB) *storetest.Env {
	var path string
	return storetest.NewEnv(t, boltAt(t, &path), storetest.Options{})
}

func TestTrustListETagAndSequence(t *testing.T) {
	var dbPath string
	e := storetest.NewEnv(t, boltAt(t, &dbPath), storetest.Options{})
	d := e.Enroll(t, "clinic", "door")
	root := e.Srv.Keys().Root.Public().(ed25519.PublicKey)

	resp, data := e.Do(t, d, storetest.Call{Method: "GET", URI: protocol.PathTrustList})
	if resp.StatusCode != 200 {
		t.Fatalf("trust list: %d %s", resp.StatusCode, data)
	}
	tl, err := healthcode.ParseTrustList(data, root, 0)
	if err != nil {
		t.Fatal(err)
	}
	etag := resp.Header.Get("ETag")
	if etag == "" || tl.Seq != 1 {
		t.Fatalf("etag %q seq %d", etag, tl.Seq)
	}
	resp, data = e.Do(t, d, storetest.Call{Method: "GET", URI: protocol.PathTrustList, Header: map[string]string{"If-None-Match": etag}})
	if resp.StatusCode != 304 || len(data) != 0 {
		t.Fatalf("If-None-Match: %d %q, want 304", resp.StatusCode, data)
	}

	// A new issuer key in the directory: a higher sequence, a new ETag.
	extra, err := server.InitKeys(t.TempDir(), []healthcode.Region{320000})
	if err != nil {
		t.Fatal(err)
	}
	for _, ext := range []string{".key", ".pub"} {
		b, _ := os.ReadFile(filepath.Join(extra.Dir, "issuer-320000"+ext))
		os.WriteFile(filepath.Join(e.Dir, "issuer-320000"+ext), b, 0o600)
	}
	if err := e.Srv.ReloadKeys(t.Context()); err != nil {
		t.Fatal(err)
	}
	resp, data = e.Do(t, d, storetest.Call{Method: "GET", URI: protocol.PathTrustList, Header: map[string]string{"If-None-Match": etag}})
	if resp.StatusCode != 200 || resp.Header.Get("ETag") == etag {
		t.Fatalf("after a key change: %d etag %q", resp.StatusCode, resp.Header.Get("ETag"))
	}
	tl2, err := healthcode.ParseTrustList(data, root, tl.Seq)
	if err != nil || tl2.Seq != 2 || len(tl2.Issuers) != len(server.DefaultRegions)+1 {
		t.Fatalf("new list: %v seq %d", err, tl2.Seq)
	}
	// The old list is now a rollback for a client holding the new one.
	old, err := e.Srv.Keys().TrustList(1, e.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	oldDoc, err := old.Sign(e.Srv.Keys().Root)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := healthcode.ParseTrustList(oldDoc, root, tl2.Seq); !errors.Is(err, healthcode.ErrTrustRollback) {
		t.Errorf("old list accepted after new: %v", err)
	}

	// Restarting with the same keys and database keeps the sequence.
	e.HTTP.Close()
	e.Srv.Close()
	s2, err := server.New(t.Context(), server.Config{Dir: e.Dir, Store: boltAt(t, &dbPath)(t, storetest.Options{})})
	if err != nil {
		t.Fatal(err)
	}
	e.Srv = s2 // closed by the Env's cleanup
	if s2.TrustSeq() != 2 {
		t.Errorf("restart: seq %d, want 2", s2.TrustSeq())
	}
}

func TestUnknownPathsAndMethods(t *testing.T) {
	e := newEnv(t)
	resp, data := e.Do(t, nil, storetest.Call{Method: "GET", URI: "/v1/nothing"})
	storetest.WantError(t, "unknown path", resp, data, 404, protocol.ErrNotFound)
	resp, data = e.Do(t, nil, storetest.Call{Method: "GET", URI: protocol.PathEnroll})
	storetest.WantError(t, "GET enroll", resp, data, 405, protocol.ErrMethodNotAllowed)
}

func TestNewNeedsAStore(t *testing.T) {
	dir := t.TempDir()
	if _, err := server.InitKeys(dir, server.DefaultRegions); err != nil {
		t.Fatal(err)
	}
	if s, err := server.New(t.Context(), server.Config{Dir: dir}); err == nil {
		s.Close()
		t.Fatal("a server without a store started")
	}
}

// TestSlowClientsAreCutOff: a client that stalls in its headers or its body
// loses the connection instead of holding it (the real timeouts are
// seconds; shortened here).
func TestSlowClientsAreCutOff(t *testing.T) {
	e := newEnv(t)
	hs := server.NewHTTPServer("127.0.0.1:0", storetest.Handler(t, e.Srv), slog.New(slog.DiscardHandler))
	if hs.ReadHeaderTimeout == 0 || hs.ReadTimeout == 0 || hs.WriteTimeout == 0 || hs.IdleTimeout == 0 || hs.MaxHeaderBytes == 0 {
		t.Fatalf("NewHTTPServer leaves a timeout or limit unset: %+v", hs)
	}
	hs.ReadHeaderTimeout, hs.ReadTimeout = 200*time.Millisecond, 400*time.Millisecond
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go hs.Serve(ln)
	defer hs.Close()

	for _, partial := range []string{
		"POST /v1/records HTTP/1.1\r\nHost: x\r\n", // stalls in the headers
		"POST /v1/records HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"rec", // stalls in the body
	} {
		conn, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		conn.Write([]byte(partial))
		conn.SetReadDeadline(time.Now().Add(20 * time.Second)) // a hang fails the test instead of blocking it
		got, err := io.ReadAll(conn)
		conn.Close()
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Errorf("server kept a stalled connection open (%q)", partial[:20])
		}
		if len(got) > 0 && !strings.HasPrefix(string(got), "HTTP/1.1 4") {
			t.Errorf("stalled request answered %q", got)
		}
	}
}
