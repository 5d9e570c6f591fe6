package sync

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	gosync "sync"
	"testing"

	"hcscan/healthcode"
	"hcscan/protocol"
	"hcscan/server"
)

// TestLiveStatusAnswerIsSigned: the scanner takes a live colour only when
// the province's server key signed it for the request it sent; an answer
// played back from an earlier request (green, before the code turned
// red) or altered on the way is refused, and the scanner falls back on
// its status list.
func TestLiveStatusAnswerIsSigned(t *testing.T) {
	w := newWorld(t)
	var mu gosync.Mutex
	var kept []byte
	mode := "pass"
	hs := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, protocol.PathStatusLive) {
			w.srv.Handler(nil).ServeHTTP(rw, r)
			return
		}
		rec := httptest.NewRecorder()
		w.srv.Handler(nil).ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		mu.Lock()
		switch mode {
		case "keep":
			kept = append([]byte(nil), body...)
		case "replay":
			body = kept
		case "alter":
			body = []byte(strings.Replace(string(body), `"colour":"red"`, `"colour":"green"`, 1))
		}
		mu.Unlock()
		rw.Header().Set("Content-Type", "application/json")
		rw.WriteHeader(rec.Code)
		rw.Write(body)
	}))
	t.Cleanup(hs.Close)
	st := w.scanner(hs.URL)
	c := newClient(t, st, Options{})
	h := healthcode.CodeID{42}.Hash()
	setMode := func(m string) { mu.Lock(); mode = m; mu.Unlock() }
	set := func(col healthcode.Colour) {
		if _, _, err := w.srv.SetStatus(t.Context(), []server.StatusChange{{Hash: h, Colour: col}}); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()

	set(healthcode.Green)
	setMode("keep")
	if e, err := c.LiveStatus(ctx, h); err != nil || e.Colour != healthcode.Green {
		t.Fatalf("signed answer refused: %+v %v", e, err)
	}
	set(healthcode.Red)
	setMode("replay")
	if e, err := c.LiveStatus(ctx, h); !errors.Is(err, protocol.ErrLiveStatusSignature) {
		t.Fatalf("an answer played back from an earlier request was taken: %+v %v", e, err)
	}
	setMode("alter")
	if e, err := c.LiveStatus(ctx, h); !errors.Is(err, protocol.ErrLiveStatusSignature) {
		t.Fatalf("an answer altered on the way was taken: %+v %v", e, err)
	}
	setMode("pass")
	if e, err := c.LiveStatus(ctx, h); err != nil || e.Colour != healthcode.Red {
		t.Fatalf("signed answer refused: %+v %v", e, err)
	}
}
