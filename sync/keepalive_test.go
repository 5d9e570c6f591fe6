package sync

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	gosync "sync"
	"testing"

	"hcscan/healthcode"
)

// connRequests counts the requests served on one connection.
type connRequests struct {
	mu gosync.Mutex
	n  int
}

type connKey struct{}

// dyingKeepAlive serves h, but the second request on every connection is
// carried out by the server and then its connection is closed before a
// byte of the reply: a kept-alive connection that died (a NAT timeout, a
// proxy or a server restart) after the server had received the request.
func dyingKeepAlive(t *testing.T, h http.Handler) (*httptest.Server, *int) {
	var mu gosync.Mutex
	dropped := 0
	hs := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := r.Context().Value(connKey{}).(*connRequests)
		c.mu.Lock()
		c.n++
		n := c.n
		c.mu.Unlock()
		if n != 2 {
			h.ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(httptest.NewRecorder(), r)
		mu.Lock()
		dropped++
		mu.Unlock()
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		conn.Close()
	}))
	hs.Config.ConnContext = func(ctx context.Context, _ net.Conn) context.Context {
		return context.WithValue(ctx, connKey{}, &connRequests{})
	}
	hs.Start()
	t.Cleanup(hs.Close)
	return hs, &dropped
}

// TestDroppedKeepAliveDoesNotFailSync: when a kept-alive connection dies
// after the server took a request, the request is sent again on a new
// connection with a new signature (the server refuses a nonce it has
// seen), so the sync succeeds and every record is on the server once.
func TestDroppedKeepAliveDoesNotFailSync(t *testing.T) {
	w := newWorld(t)
	hs, dropped := dyingKeepAlive(t, w.srv.Handler(nil))
	st := w.scanner(hs.URL)
	ids := fill(t, st, 1200)
	c := newClient(t, st, Options{BatchSize: 100, InFlight: 1})
	ctx := context.Background()
	for round := 0; round < 3; round++ {
		rep, err := c.SyncOnce(ctx, nil)
		if err != nil {
			t.Fatalf("sync %d failed after %d dropped connections: %v", round, *dropped, err)
		}
		if round == 0 && rep.Stored != len(ids) {
			t.Fatalf("first sync stored %d of %d records", rep.Stored, len(ids))
		}
	}
	if *dropped < 3 {
		t.Fatalf("only %d connections were dropped: the test did not exercise kept-alive connections", *dropped)
	}
	w.assertExactlyOnce(t, st, ids)
	// The live check, a single GET on a kept-alive connection, too.
	for i := 0; i < 4; i++ {
		if _, err := c.LiveStatus(ctx, healthcode.CodeHash{byte(i)}); err != nil {
			t.Fatalf("live status %d: %v", i, err)
		}
	}
}
