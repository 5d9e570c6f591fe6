package sync

import (
	"bytes"
	"crypto/rand"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	gosync "sync"
	"testing"
	"time"
)

// fault is what the proxy does to one request.
type fault int

const (
	faultNone         fault = iota
	faultDropRequest        // forward half the request body, then cut both connections
	faultDropResponse       // forward the whole request, send half the reply, cut
	faultDelay              // hold the request for proxy.delay, then forward it
	fault500                // answer 500 without forwarding
	fault503                // answer 503 with Retry-After without forwarding
	faultHalfAck            // forward, then rewrite the reply so only half the batch is acknowledged
	faultGarbage            // forward, then replace the reply with random bytes (status 200)
)

func (f fault) String() string {
	return [...]string{"none", "drop-request", "drop-response", "delay", "500", "503", "half-ack", "garbage"}[f]
}

// faultProxy is a real reverse proxy on loopback between the client and
// the server that misbehaves on the requests its plan picks.
type faultProxy struct {
	URL    string
	target *url.URL
	srv    *httptest.Server
	// plan picks the fault for the n-th request (from 0) of the kind; nil = none.
	plan       func(n int, r *http.Request) fault
	delay      time.Duration
	retryAfter string // Retry-After of fault503
	// halfAck rewrites a record-upload reply so that only the first half
	// of the batch appears acknowledged.
	halfAck func(t testing.TB, body []byte) []byte

	t      testing.TB
	mu     gosync.Mutex
	n      int
	counts map[fault]int
}

func newFaultProxy(t testing.TB, target string, plan func(n int, r *http.Request) fault) *faultProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{target: u, plan: plan, delay: 300 * time.Millisecond, retryAfter: "1", t: t, counts: map[fault]int{}}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	p.URL = p.srv.URL
	t.Cleanup(p.srv.Close)
	return p
}

func (p *faultProxy) count(f fault) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counts[f]
}

func (p *faultProxy) serve(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	n := p.n
	p.n++
	f := faultNone
	if p.plan != nil {
		f = p.plan(n, r)
	}
	p.counts[f]++
	p.mu.Unlock()

	switch f {
	case fault500:
		io.Copy(io.Discard, r.Body)
		http.Error(w, "internal error (injected)", http.StatusInternalServerError)
		return
	case fault503:
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Retry-After", p.retryAfter)
		http.Error(w, "overloaded (injected)", http.StatusServiceUnavailable)
		return
	case faultDelay:
		select {
		case <-time.After(p.delay):
		case <-r.Context().Done():
			return
		}
	}

	body, err := io.ReadAll(r.Body)
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	out, err := http.NewRequestWithContext(r.Context(), r.Method, p.target.String()+r.URL.RequestURI(), nil)
	if err != nil {
		panic(err)
	}
	out.Header = r.Header.Clone()
	if f == faultDropRequest && len(body) > 0 {
		// The server sees half a body and then a dead connection.
		out.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body[:len(body)/2]), errReader{}))
		out.ContentLength = int64(len(body))
		if resp, err := upstream.Do(out); err == nil {
			resp.Body.Close()
		}
		panic(http.ErrAbortHandler) // and the client sees its connection cut
	}
	if f == faultDropRequest { // no body: cut before forwarding
		panic(http.ErrAbortHandler)
	}
	out.Body = io.NopCloser(bytes.NewReader(body))
	out.ContentLength = int64(len(body))
	resp, err := upstream.Do(out)
	if err != nil {
		http.Error(w, "proxy: "+err.Error(), http.StatusBadGateway)
		return
	}
	reply, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	switch f {
	case faultHalfAck:
		if resp.StatusCode == http.StatusOK && p.halfAck != nil {
			reply = p.halfAck(p.t, reply)
		}
	case faultGarbage:
		reply = make([]byte, 64+len(reply)/2)
		rand.Read(reply)
	}
	for k, vs := range resp.Header {
		if k == "Content-Length" {
			continue
		}
		w.Header()[k] = vs
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(reply)))
	w.WriteHeader(resp.StatusCode)
	if f == faultDropResponse {
		// The server has done the work; the client hears half of it.
		w.Write(reply[:len(reply)/2])
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	}
	w.Write(reply)
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

// upstream is the proxy's own client to the server: no connection reuse
// across cut requests, so every fault stays within one request.
var upstream = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
