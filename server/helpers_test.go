package server

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	gosync "sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"hcscan/healthcode"
	"hcscan/protocol"
)

// clock is a settable clock shared by the server and the test's signer.
type clock struct {
	mu gosync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type testEnv struct {
	t     *testing.T
	dir   string
	srv   *Server
	http  *httptest.Server
	clock *clock
}

func newEnv(t testing.TB, mod func(*Config)) *testEnv {
	t.Helper()
	dir := t.TempDir()
	if _, err := InitKeys(dir, DefaultRegions); err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Now()}
	cfg := Config{Dir: dir, Now: c.Now}
	if mod != nil {
		mod(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		hs.Close()
		s.Close()
	})
	tt, _ := t.(*testing.T)
	return &testEnv{t: tt, dir: dir, srv: s, http: hs, clock: c}
}

type device struct {
	id  string
	key ed25519.PrivateKey
	rep protocol.EnrollReply
}

func (e *testEnv) token(t testing.TB, institution, gate string) string {
	t.Helper()
	text, _, err := e.srv.NewToken(t.Context(), TokenEnroll, institution, gate)
	if err != nil {
		t.Fatal(err)
	}
	return text
}

// post sends JSON without a signature.
func (e *testEnv) post(t testing.TB, path, contentType string, body []byte) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Post(e.http.URL+path, contentType, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, data
}

func (e *testEnv) enroll(t testing.TB, institution, gate string) *device {
	t.Helper()
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	req := protocol.NewEnrollRequest(e.token(t, institution, gate), key, "test laptop")
	body, _ := json.Marshal(req)
	resp, data := e.post(t, protocol.PathEnroll, "application/json", body)
	if resp.StatusCode != 200 {
		t.Fatalf("enrol: %d %s", resp.StatusCode, data)
	}
	d := &device{key: key}
	if err := json.Unmarshal(data, &d.rep); err != nil {
		t.Fatal(err)
	}
	d.id = d.rep.DeviceID
	return d
}

type call struct {
	method, uri string
	body        []byte
	header      map[string]string
	signBody    []byte    // sign this instead of body (tampering)
	at          time.Time // sign at this time instead of the server clock
}

// do sends a request signed by d (nil: unsigned) and returns the answer.
func (e *testEnv) do(t testing.TB, d *device, c call) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(c.method, e.http.URL+c.uri, bytes.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	if c.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	if d != nil {
		sb := c.body
		if c.signBody != nil {
			sb = c.signBody
		}
		at := c.at
		if at.IsZero() {
			at = e.clock.Now()
		}
		if err := protocol.SignRequest(req, sb, d.id, d.key, at); err != nil {
			t.Fatal(err)
		}
	}
	return e.send(t, req)
}

func (e *testEnv) send(t testing.TB, req *http.Request) (*http.Response, []byte) {
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

// wantError checks an error reply's status and code.
func wantError(t testing.TB, what string, resp *http.Response, data []byte, status int, code string) {
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

func newRecord(d *device, gate, operator string, at time.Time) healthcode.Record {
	id, _ := uuid.NewV7()
	var h healthcode.CodeHash
	rand.Read(h[:])
	return healthcode.Record{
		ID: id.String(), DeviceID: d.id, Institution: d.rep.Institution, Gate: gate, Operator: operator,
		Time: at, CorrectedTime: at, CodeHash: h, ScannedColour: healthcode.Green, EffectiveColour: healthcode.Green,
		Verdict: healthcode.VerdictPass, Temperature: 365, Disposition: healthcode.DispositionPass,
		Name: "张*三", IDMasked: "110***********1234", Region: 110000, Lang: "zh",
	}
}

func batchBody(t testing.TB, recs []healthcode.Record) []byte {
	t.Helper()
	b, err := json.Marshal(protocol.RecordBatch{Records: recs})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (e *testEnv) upload(t testing.TB, d *device, recs []healthcode.Record, key string) protocol.RecordsReply {
	t.Helper()
	hdr := map[string]string{}
	if key != "" {
		hdr[protocol.HeaderIdempotencyKey] = key
	}
	resp, data := e.do(t, d, call{method: "POST", uri: protocol.PathRecords, body: batchBody(t, recs), header: hdr})
	if resp.StatusCode != 200 {
		t.Fatalf("upload: %d %s", resp.StatusCode, data)
	}
	var rr protocol.RecordsReply
	if err := json.Unmarshal(data, &rr); err != nil {
		t.Fatal(err)
	}
	return rr
}

func (e *testEnv) countRecords(t testing.TB, institution string) int {
	t.Helper()
	recs, err := e.srv.Store().Records(t.Context(), RecordQuery{Institution: institution, Limit: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	return len(recs)
}
