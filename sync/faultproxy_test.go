package sync

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	gosync "sync"
	"testing"
	"time"

	"hcscan/protocol"
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
	// plan picks the fault for a request: n counts the requests to the
	// same path (from 0). nil: no faults.
	plan       func(n int, r *http.Request) fault
	delay      time.Duration
	retryAfter string // Retry-After of fault503
	// halfAck rewrites a record-upload reply so that only the first half
	// of the batch appears acknowledged.
	halfAck func(t testing.TB, body []byte) []byte

	t      testing.TB
	mu     gosync.Mutex
	n      map[string]int
	counts map[fault]int
	log    []proxied
	// duplicates counts the "duplicate" answers the server gave to record
	// uploads: records the client sent again.
	duplicates int
}

// proxied is one request the proxy saw.
type proxied struct {
	at    time.Time
	path  string
	fault fault
}

func newFaultProxy(t testing.TB, target string, plan func(n int, r *http.Request) fault) *faultProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{target: u, plan: plan, delay: 300 * time.Millisecond, retryAfter: "1", t: t,
		n: map[string]int{}, counts: map[fault]int{}}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	p.URL = p.srv.URL
	t.Cleanup(p.srv.Close)
	return p
}

func (p *faultProxy) setPlan(plan func(n int, r *http.Request) fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.plan = plan
	p.n = map[string]int{}
}

func (p *faultProxy) requests() []proxied {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]proxied(nil), p.log...)
}

func (p *faultProxy) count(f fault) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counts[f]
}

func (p *faultProxy) serve(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	n := p.n[r.URL.Path]
	p.n[r.URL.Path]++
	f := faultNone
	if p.plan != nil {
		f = p.plan(n, r)
	}
	p.counts[f]++
	p.log = append(p.log, proxied{time.Now(), r.URL.Path, f})
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
		// The request reaches the server late, even if the client has
		// given up waiting by then.
		time.Sleep(p.delay)
	}

	body, err := io.ReadAll(r.Body)
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	// The server finishes what it was sent even when the client hangs up.
	out, err := http.NewRequestWithContext(context.WithoutCancel(r.Context()), r.Method, p.target.String()+r.URL.RequestURI(), nil)
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
	if r.URL.Path == protocol.PathRecords && resp.StatusCode == http.StatusOK {
		var rr protocol.RecordsReply
		if json.Unmarshal(reply, &rr) == nil {
			p.mu.Lock()
			p.duplicates += rr.Duplicate
			p.mu.Unlock()
		}
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
