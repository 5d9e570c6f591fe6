package storetest

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	gosync "sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"hcscan/healthcode"
	"hcscan/protocol"
	"hcscan/server"
	"hcscan/server/portal"
)

// Clock is a settable clock shared by a test server, its store and the
// test's signer.
type Clock struct {
	mu gosync.Mutex
	t  time.Time
}

// Now is the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Add moves the clock.
func (c *Clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// Env is a real server on loopback HTTP: a new key directory, a new store
// from Open, and a clock the test moves.
type Env struct {
	Dir   string // the key directory
	Srv   *server.Server
	HTTP  *httptest.Server
	Clock *Clock
}

// NewEnv starts a server on a new store from open (o.Now is set to the
// Env's clock); it stops in t.Cleanup. HCSCAN_TEST_LOG=1 logs to stderr.
func NewEnv(t testing.TB, open Open, o Options) *Env {
	t.Helper()
	dir := t.TempDir()
	if _, err := server.InitKeys(dir, server.DefaultRegions); err != nil {
		t.Fatal(err)
	}
	c := &Clock{t: time.Now()}
	o.Now = c.Now
	cfg := server.Config{Dir: dir, Now: c.Now, Store: open(t, o)}
	if os.Getenv("HCSCAN_TEST_LOG") != "" {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	s, err := server.New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	e := &Env{Dir: dir, Srv: s, HTTP: httptest.NewServer(Handler(t, s)), Clock: c}
	t.Cleanup(func() {
		e.HTTP.Close()
		e.Srv.Close()
	})
	return e
}

// NewTwin is a second server process on e's keys and clock, on st (a store
// on the same database as e's), as a province runs them behind a load
// balancer.
func NewTwin(t testing.TB, e *Env, st server.Store) *Env {
	t.Helper()
	s, err := server.New(t.Context(), server.Config{Dir: e.Dir, Now: e.Clock.Now, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	twin := &Env{Dir: e.Dir, Srv: s, HTTP: httptest.NewServer(Handler(t, s)), Clock: e.Clock}
	t.Cleanup(func() {
		twin.HTTP.Close()
		twin.Srv.Close()
	})
	return twin
}

// Handler is what `hcserver serve` serves: the scanner API and the portal.
func Handler(t testing.TB, s *server.Server) http.Handler {
	t.Helper()
	cfg := portal.Config{Store: s.Store(), Province: s, Now: s.Now}
	if os.Getenv("HCSCAN_TEST_LOG") != "" {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	p, err := portal.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s.Handler(p)
}

// Device is a scanner enrolled with a test server.
type Device struct {
	ID  string
	Key ed25519.PrivateKey
	Rep protocol.EnrollReply
}

// Token makes an enrolment token.
func (e *Env) Token(t testing.TB, institution, gate string) string {
	t.Helper()
	text, _, err := e.Srv.NewToken(t.Context(), server.TokenEnroll, institution, gate)
	if err != nil {
		t.Fatal(err)
	}
	return text
}

// Post sends JSON without a signature.
func (e *Env) Post(t testing.TB, path, contentType string, body []byte) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Post(e.HTTP.URL+path, contentType, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, data
}

// Enroll enrols a new device key at a gate of institution.
func (e *Env) Enroll(t testing.TB, institution, gate string) *Device {
	t.Helper()
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	req := protocol.NewEnrollRequest(e.Token(t, institution, gate), key, "test laptop")
	body, _ := json.Marshal(req)
	resp, data := e.Post(t, protocol.PathEnroll, "application/json", body)
	if resp.StatusCode != 200 {
		t.Fatalf("enrol: %d %s", resp.StatusCode, data)
	}
	d := &Device{Key: key}
	if err := json.Unmarshal(data, &d.Rep); err != nil {
		t.Fatal(err)
	}
	d.ID = d.Rep.DeviceID
	return d
}

// Call is one request to the scanner API.
type Call struct {
	Method, URI string
	Body        []byte
	Header      map[string]string
	SignBody    []byte    // sign this instead of Body (tampering)
	At          time.Time // sign at this time instead of the server clock
}

// Do sends a request signed by d (nil: unsigned) and returns the answer.
func (e *Env) Do(t testing.TB, d *Device, c Call) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(c.Method, e.HTTP.URL+c.URI, bytes.NewReader(c.Body))
	if err != nil {
		t.Fatal(err)
	}
	if c.Body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range c.Header {
		req.Header.Set(k, v)
	}
	if d != nil {
		sb := c.Body
		if c.SignBody != nil {
			sb = c.SignBody
		}
		at := c.At
		if at.IsZero() {
			at = e.Clock.Now()
		}
		if err := protocol.SignRequest(req, sb, d.ID, d.Key, at); err != nil {
			t.Fatal(err)
		}
	}
	return Send(t, req)
}

// Send sends req and checks that the answer carries the server time.
func Send(t testing.TB, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if _, ok := protocol.ServerTime(resp.Header); !ok {
		t.Errorf("%s %s: no %s header", req.Method, req.URL.Path, protocol.HeaderServerTime)
	}
	return resp, data
}

// WantError checks an error reply's status and code.
func WantError(t testing.TB, what string, resp *http.Response, data []byte, status int, code string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Errorf("%s: status %d, want %d (%s)", what, resp.StatusCode, status, data)
		return
	}
	var er protocol.ErrorReply
	if err := json.Unmarshal(data, &er); err != nil || er.Code != code || er.Message == "" || er.ServerTime.IsZero() {
		t.Errorf("%s: body %s, want error %q with a message and server time", what, data, code)
	}
}

// NewRecord is a green pass of a random code by d at gate.
func NewRecord(d *Device, gate, operator string, at time.Time) healthcode.Record {
	id, _ := uuid.NewV7()
	var h healthcode.CodeHash
	rand.Read(h[:])
	return healthcode.Record{
		ID: id.String(), DeviceID: d.ID, Institution: d.Rep.Institution, Gate: gate, Operator: operator,
		Time: at, CorrectedTime: at, CodeHash: h, ScannedColour: healthcode.Green, EffectiveColour: healthcode.Green,
		Verdict: healthcode.VerdictPass, Temperature: 365, Disposition: healthcode.DispositionPass,
		Name: "张*三", IDMasked: "110***********1234", Region: 110000, Lang: "zh",
	}
}

// BatchBody is the JSON of a record batch.
func BatchBody(t testing.TB, recs []healthcode.Record) []byte {
	t.Helper()
	b, err := json.Marshal(protocol.RecordBatch{Records: recs})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Upload sends recs as one batch signed by d (key: the Idempotency-Key,
// "" for none) and returns the answer, which must be 200.
func (e *Env) Upload(t testing.TB, d *Device, recs []healthcode.Record, key string) protocol.RecordsReply {
	t.Helper()
	hdr := map[string]string{}
	if key != "" {
		hdr[protocol.HeaderIdempotencyKey] = key
	}
	resp, data := e.Do(t, d, Call{Method: "POST", URI: protocol.PathRecords, Body: BatchBody(t, recs), Header: hdr})
	if resp.StatusCode != 200 {
		t.Fatalf("upload: %d %s", resp.StatusCode, data)
	}
	var rr protocol.RecordsReply
	if err := json.Unmarshal(data, &rr); err != nil {
		t.Fatal(err)
	}
	return rr
}

// CountRecords is how many records the store holds for institution.
func (e *Env) CountRecords(t testing.TB, institution string) int {
	t.Helper()
	recs, err := e.Srv.Store().Records(t.Context(), server.RecordQuery{Institution: institution, Limit: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	return len(recs)
}

// Status fetches the status list since a sequence, checked with the server
// key d got at enrolment (nil list when the answer is not 200).
func (e *Env) Status(t testing.TB, d *Device, since uint64) (*http.Response, *healthcode.StatusList) {
	t.Helper()
	resp, data := e.Do(t, d, Call{Method: "GET", URI: protocol.StatusURI(since)})
	if resp.StatusCode != 200 {
		return resp, nil
	}
	sl, err := healthcode.ParseStatusList(data, d.Rep.ServerKey)
	if err != nil {
		t.Fatalf("status list does not verify with the enrolled server key: %v", err)
	}
	return resp, sl
}

// HashOf is a code hash of 16 bytes b.
func HashOf(b byte) healthcode.CodeHash {
	var h healthcode.CodeHash
	for i := range h {
		h[i] = b
	}
	return h
}
