package protocol

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestSignVerifyOverHTTP signs on a real client request, sends it over
// loopback and verifies it as the server sees it.
func TestSignVerifyOverHTTP(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	keyOf := func(id string) (ed25519.PublicKey, error) {
		if id == "dev-1" {
			return pub, nil
		}
		return nil, fmt.Errorf("device %s: %w", id, ErrDeviceUnknown)
	}
	now := time.Now()
	type result struct {
		s   Signed
		err error
	}
	got := make(chan result, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var buf bytes.Buffer
		buf.ReadFrom(r.Body)
		s, err := VerifyRequest(r, buf.Bytes(), keyOf, now)
		got <- result{s, err}
	}))
	defer srv.Close()

	send := func(body []byte, tamper func(*http.Request), dev string, key ed25519.PrivateKey, at time.Time) result {
		t.Helper()
		req, _ := http.NewRequest("POST", srv.URL+PathStatus+"?since=7", bytes.NewReader(body))
		if err := SignRequest(req, body, dev, key, at); err != nil {
			t.Fatal(err)
		}
		if tamper != nil {
			tamper(req)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return <-got
	}
	body := []byte(`{"records":[]}`)
	r := send(body, nil, "dev-1", priv, now)
	if r.err != nil || r.s.DeviceID != "dev-1" || r.s.Nonce == "" {
		t.Fatalf("good request: %+v %v", r.s, r.err)
	}
	r = send(body, func(q *http.Request) {
		q.Body = http.NoBody
		q.ContentLength = 0
	}, "dev-1", priv, now)
	if !errors.Is(r.err, ErrRequestSignature) {
		t.Errorf("tampered body: %v, want bad signature", r.err)
	}
	r = send(body, func(q *http.Request) { q.URL.RawQuery = "since=0" }, "dev-1", priv, now)
	if !errors.Is(r.err, ErrRequestSignature) {
		t.Errorf("tampered query: %v, want bad signature", r.err)
	}
	r = send(body, nil, "dev-1", priv, now.Add(-ClockSkew-time.Second))
	if !errors.Is(r.err, ErrRequestStale) {
		t.Errorf("old time: %v, want stale", r.err)
	}
	r = send(body, nil, "dev-1", other, now)
	if !errors.Is(r.err, ErrRequestSignature) {
		t.Errorf("wrong key: %v, want bad signature", r.err)
	}
	r = send(body, nil, "dev-2", other, now)
	if !errors.Is(r.err, ErrDeviceUnknown) {
		t.Errorf("unknown device: %v, want unknown", r.err)
	}
	r = send(body, func(q *http.Request) { q.Header.Del(HeaderSignature) }, "dev-1", priv, now)
	if !errors.Is(r.err, ErrRequestUnsigned) {
		t.Errorf("no signature: %v, want unsigned", r.err)
	}
}

func TestEnrollProofAndJSON(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	req := NewEnrollRequest("tok", priv, "gate laptop")
	if err := req.CheckProof(); err != nil {
		t.Fatal(err)
	}
	req.Token = "other"
	if req.CheckProof() == nil {
		t.Fatal("proof for another token accepted")
	}
	if !IsJSON("application/json; charset=utf-8") || IsJSON("text/plain") || IsJSON("application/json; charset=latin1") {
		t.Fatal("IsJSON")
	}
}
