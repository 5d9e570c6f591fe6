package sync

import (
	"context"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"hcscan/store"
)

// loopback serves the world's server on a fixed loopback address that can
// be stopped and started again, as a server process that restarts.
type loopback struct {
	t    *testing.T
	h    http.Handler
	addr string
	hs   *http.Server
}

func serveLoopback(t *testing.T, h http.Handler) *loopback {
	l := &loopback{t: t, h: h, addr: "127.0.0.1:0"}
	l.start()
	t.Cleanup(l.stop)
	return l
}

func (l *loopback) URL() string { return "http://" + l.addr }

func (l *loopback) start() {
	l.t.Helper()
	var ln net.Listener
	var err error
	for range 50 { // the port may take a moment to be free again
		if ln, err = net.Listen("tcp", l.addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		l.t.Fatal(err)
	}
	l.addr = ln.Addr().String()
	l.hs = &http.Server{Handler: l.h}
	go l.hs.Serve(ln)
}

func (l *loopback) stop() {
	if l.hs != nil {
		l.hs.Close()
		l.hs = nil
	}
}

// Records saved while Run waits out a long interval go up at once (on
// RecordSaved, not an hour later); while the server is down Run probes it
// at most ProbeCap apart, and once it is back the waiting records go up.
func TestRunUploadsAtOnceAndProbesAnAbsentServer(t *testing.T) {
	w := newWorld(t)
	lb := serveLoopback(t, w.srv.Handler(nil))
	st := w.scanner(lb.URL())
	const probeCap = 2 * time.Second
	c := newClient(t, st, Options{Interval: time.Hour, ProbeCap: probeCap, Spread: 100 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	defer func() { cancel(); <-done }()
	first := waitState(t, c, func(s State) bool { return s.Online && !s.LastSuccess.IsZero() && !s.Syncing })

	ids := fill(t, st, 3)
	c.RecordSaved()
	waitPending(t, st, 0)
	if s := c.State(); s.TrustFetched.After(first.TrustFetched) {
		t.Errorf("the upload after a save pulled the trust list again (fetched %v, first %v): it should only upload", s.TrustFetched, first.TrustFetched)
	}

	lb.stop()
	ids = append(ids, fill(t, st, 2)...)
	c.RecordSaved()
	waitState(t, c, func(s State) bool { return !s.Online && !s.Syncing })
	// Offline for longer than a few probes: every wait Run announces is
	// within the probe cap, never the minutes of a backoff.
	deadline := time.Now().Add(3 * probeCap)
	for time.Now().Before(deadline) {
		select {
		case s := <-c.Updates():
			if !s.Syncing && !s.NextAttempt.IsZero() {
				if wait := time.Until(s.NextAttempt); wait > probeCap {
					t.Fatalf("offline, the next attempt is %v away; want a probe within %v (last error %s)", wait, probeCap, s.LastError)
				}
			}
		case <-time.After(100 * time.Millisecond):
		}
	}
	if n, _ := st.Pending(); n != 2 {
		t.Fatalf("%d records waiting while the server is down, want 2", n)
	}
	lb.start()
	waitPending(t, st, 0)
	w.assertExactlyOnce(t, st, ids)
}

// waitPending waits until n records wait in the outbox.
func waitPending(t *testing.T, st *store.Store, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err := st.Pending()
		if err != nil {
			t.Fatal(err)
		}
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d records waiting after 30 s, want %d", got, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The operator's "sync now" cuts a long backoff short.
func TestKickCutsABackoffShort(t *testing.T) {
	w := newWorld(t)
	lb := serveLoopback(t, w.srv.Handler(nil))
	st := w.scanner(lb.URL())
	// A server that answers 503 puts Run in a backoff of at least an hour.
	var busy atomic.Bool
	busy.Store(true)
	h := w.srv.Handler(nil)
	lb.stop()
	lb.h = http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if busy.Load() {
			rw.Header().Set("Retry-After", "3600")
			http.Error(rw, `{"error":"unavailable","message":"maintenance"}`, http.StatusServiceUnavailable)
			return
		}
		h.ServeHTTP(rw, r)
	})
	lb.start()
	c := newClient(t, st, Options{Interval: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	defer func() { cancel(); <-done }()
	s := waitState(t, c, func(s State) bool { return s.Failures > 0 && !s.Syncing && !s.NextAttempt.IsZero() })
	if wait := time.Until(s.NextAttempt); wait < 50*time.Minute {
		t.Fatalf("after a 503 with Retry-After: 3600 the next attempt is %v away", wait)
	}
	ids := fill(t, st, 1)
	c.RecordSaved() // a save does not hurry a server that asked for a pause
	time.Sleep(500 * time.Millisecond)
	if n, _ := st.Pending(); n != 1 {
		t.Fatalf("a save during the server's pause sent the record anyway (%d waiting)", n)
	}
	busy.Store(false)
	c.Kick()
	waitPending(t, st, 0)
	w.assertExactlyOnce(t, st, ids)
}
