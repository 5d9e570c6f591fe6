package server

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hcscan/healthcode"
	"hcscan/protocol"
)

func testEnrolmentTokenIsSingleUse(t *testing.T, k storeKind) {
	e := newEnvOn(t, k, nil)
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	tok := e.token(t, "第一中学", "north gate")
	body, _ := json.Marshal(protocol.NewEnrollRequest(tok, key, "laptop"))

	resp, data := e.post(t, protocol.PathEnroll, "application/json", body)
	if resp.StatusCode != 200 {
		t.Fatalf("enrol: %d %s", resp.StatusCode, data)
	}
	var rep protocol.EnrollReply
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Institution != "第一中学" || rep.Gate != "north gate" || rep.DeviceID == "" {
		t.Errorf("reply names %q/%q/%q", rep.DeviceID, rep.Institution, rep.Gate)
	}
	tl, err := rep.Verify(key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatalf("reply does not verify: %v", err)
	}
	rootPub := e.srv.Keys().Root.Public().(ed25519.PublicKey)
	if protocol.Fingerprint(rep.RootKey) != protocol.Fingerprint(rootPub) || len(tl.Issuers) != len(DefaultRegions) {
		t.Errorf("root key or trust list wrong: %d issuers", len(tl.Issuers))
	}
	// A reply checked against another device's key does not verify.
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	if _, err := rep.Verify(other.Public().(ed25519.PublicKey)); err == nil {
		t.Error("reply verified for another device key")
	}

	// The same token again, even with another key, is refused.
	body2, _ := json.Marshal(protocol.NewEnrollRequest(tok, other, "laptop 2"))
	resp, data = e.post(t, protocol.PathEnroll, "application/json", body2)
	wantError(t, "token reuse", resp, data, 403, protocol.ErrTokenUsed)

	// Unknown token, bad proof, expired token.
	body3, _ := json.Marshal(protocol.NewEnrollRequest("AAAA-BBBB-CCCC-DDDD-EEEE-FFFF", other, ""))
	resp, data = e.post(t, protocol.PathEnroll, "application/json", body3)
	wantError(t, "unknown token", resp, data, 401, protocol.ErrBadToken)

	req := protocol.NewEnrollRequest(e.token(t, "第一中学", "east"), other, "")
	req.Proof[0] ^= 1
	body4, _ := json.Marshal(req)
	resp, data = e.post(t, protocol.PathEnroll, "application/json", body4)
	wantError(t, "bad proof", resp, data, 400, protocol.ErrBadRequest)

	tok5 := e.token(t, "第一中学", "west")
	e.clock.Add(8 * 24 * time.Hour)
	body5, _ := json.Marshal(protocol.NewEnrollRequest(tok5, other, ""))
	resp, data = e.post(t, protocol.PathEnroll, "application/json", body5)
	wantError(t, "expired token", resp, data, 403, protocol.ErrTokenExpired)

	resp, data = e.post(t, protocol.PathEnroll, "text/plain", body5)
	wantError(t, "wrong content type", resp, data, 415, protocol.ErrUnsupportedMedia)

	devs, _ := e.srv.Store().Devices(t.Context(), "第一中学")
	if len(devs) != 1 || devs[0].ID != rep.DeviceID {
		t.Errorf("devices after one good enrolment: %+v", devs)
	}
}

func testSignedRequestsAreChecked(t *testing.T, k storeKind) {
	e := newEnvOn(t, k, nil)
	d := e.enroll(t, "clinic", "door")
	rec := newRecord(d, "door", "王医生", e.clock.Now())
	body := batchBody(t, []healthcode.Record{rec})

	// Tampered body: signed one batch, sent another.
	other := newRecord(d, "door", "王医生", e.clock.Now())
	resp, data := e.do(t, d, call{method: "POST", uri: protocol.PathRecords, body: batchBody(t, []healthcode.Record{other}), signBody: body})
	wantError(t, "tampered body", resp, data, 401, protocol.ErrBadSignature)

	// Tampered query: sign since=5, send since=0.
	req, _ := http.NewRequest("GET", e.http.URL+protocol.StatusURI(5), nil)
	protocol.SignRequest(req, nil, d.id, d.key, e.clock.Now())
	req.URL.RawQuery = "since=0"
	resp, data = e.send(t, req)
	wantError(t, "tampered query", resp, data, 401, protocol.ErrBadSignature)

	// Old and future timestamps.
	resp, data = e.do(t, d, call{method: "POST", uri: protocol.PathRecords, body: body, at: e.clock.Now().Add(-6 * time.Minute)})
	wantError(t, "old timestamp", resp, data, 401, protocol.ErrStaleTime)
	resp, data = e.do(t, d, call{method: "GET", uri: protocol.PathTrustList, at: e.clock.Now().Add(6 * time.Minute)})
	wantError(t, "future timestamp", resp, data, 401, protocol.ErrStaleTime)

	// Unknown device: a key the server never enrolled.
	_, stranger, _ := ed25519.GenerateKey(rand.Reader)
	resp, data = e.do(t, &device{id: "0190c0de-0000-7000-8000-000000000000", key: stranger}, call{method: "POST", uri: protocol.PathRecords, body: body})
	wantError(t, "unknown device", resp, data, 401, protocol.ErrUnknownDevice)

	// A known device id signed with another key.
	resp, data = e.do(t, &device{id: d.id, key: stranger}, call{method: "POST", uri: protocol.PathRecords, body: body})
	wantError(t, "wrong key", resp, data, 401, protocol.ErrBadSignature)

	// Unsigned.
	resp, data = e.do(t, nil, call{method: "POST", uri: protocol.PathRecords, body: body})
	wantError(t, "unsigned", resp, data, 401, protocol.ErrUnsigned)
	if n := e.countRecords(t, "clinic"); n != 0 {
		t.Fatalf("%d records stored by refused requests", n)
	}

	// Replay: the exact same signed request twice.
	req, _ = http.NewRequest("POST", e.http.URL+protocol.PathRecords, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	protocol.SignRequest(req, body, d.id, d.key, e.clock.Now())
	resp, data = e.send(t, req)
	if resp.StatusCode != 200 {
		t.Fatalf("first send: %d %s", resp.StatusCode, data)
	}
	req2 := req.Clone(req.Context())
	req2.Body = io.NopCloser(bytes.NewReader(body))
	resp, data = e.send(t, req2)
	wantError(t, "replay", resp, data, 401, protocol.ErrReplay)
	if n := e.countRecords(t, "clinic"); n != 1 {
		t.Fatalf("%d records after one good upload", n)
	}

	// The server's clock is reported so a skewed client can correct itself.
	st, _ := protocol.ServerTime(resp.Header)
	if d := st.Sub(e.clock.Now()); d > time.Second || d < -time.Second {
		t.Errorf("X-Server-Time %v is not the server clock %v", st, e.clock.Now())
	}
}

func TestTrustListETagAndSequence(t *testing.T) {
	e := newEnv(t, nil)
	d := e.enroll(t, "clinic", "door")
	root := e.srv.Keys().Root.Public().(ed25519.PublicKey)

	resp, data := e.do(t, d, call{method: "GET", uri: protocol.PathTrustList})
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
	resp, data = e.do(t, d, call{method: "GET", uri: protocol.PathTrustList, header: map[string]string{"If-None-Match": etag}})
	if resp.StatusCode != 304 || len(data) != 0 {
		t.Fatalf("If-None-Match: %d %q, want 304", resp.StatusCode, data)
	}

	// A new issuer key in the directory: a higher sequence, a new ETag.
	extra, err := InitKeys(t.TempDir(), []healthcode.Region{320000})
	if err != nil {
		t.Fatal(err)
	}
	for _, ext := range []string{".key", ".pub"} {
		b, _ := os.ReadFile(filepath.Join(extra.Dir, "issuer-320000"+ext))
		os.WriteFile(filepath.Join(e.dir, "issuer-320000"+ext), b, 0o600)
	}
	if err := e.srv.ReloadKeys(t.Context()); err != nil {
		t.Fatal(err)
	}
	resp, data = e.do(t, d, call{method: "GET", uri: protocol.PathTrustList, header: map[string]string{"If-None-Match": etag}})
	if resp.StatusCode != 200 || resp.Header.Get("ETag") == etag {
		t.Fatalf("after a key change: %d etag %q", resp.StatusCode, resp.Header.Get("ETag"))
	}
	tl2, err := healthcode.ParseTrustList(data, root, tl.Seq)
	if err != nil || tl2.Seq != 2 || len(tl2.Issuers) != len(DefaultRegions)+1 {
		t.Fatalf("new list: %v seq %d", err, tl2.Seq)
	}
	// The old list is now a rollback for a client holding the new one.
	if _, err := healthcode.ParseTrustList(e.srv.trustDocForTest(t, 1), root, tl2.Seq); !errors.Is(err, healthcode.ErrTrustRollback) {
		t.Errorf("old list accepted after new: %v", err)
	}

	// Restarting with the same keys keeps the sequence.
	e.http.Close()
	e.srv.Close()
	s2, err := New(Config{Dir: e.dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if s2.TrustSeq() != 2 {
		t.Errorf("restart: seq %d, want 2", s2.TrustSeq())
	}
	e.srv = s2 // for Cleanup's Close
}

// trustDocForTest signs a list of the current keys with an older sequence.
func (s *Server) trustDocForTest(t *testing.T, seq uint64) []byte {
	tl, err := s.keys.TrustList(seq, s.now())
	if err != nil {
		t.Fatal(err)
	}
	doc, err := tl.Sign(s.keys.Root)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func hashOf(b byte) healthcode.CodeHash {
	var h healthcode.CodeHash
	for i := range h {
		h[i] = b
	}
	return h
}

func (e *testEnv) status(t *testing.T, d *device, since uint64) (*http.Response, *healthcode.StatusList) {
	t.Helper()
	resp, data := e.do(t, d, call{method: "GET", uri: protocol.StatusURI(since)})
	if resp.StatusCode != 200 {
		return resp, nil
	}
	sl, err := healthcode.ParseStatusList(data, d.rep.ServerKey)
	if err != nil {
		t.Fatalf("status list does not verify with the enrolled server key: %v", err)
	}
	return resp, sl
}

func testStatusDeltaSnapshotAndLive(t *testing.T, k storeKind) {
	e := newEnvOn(t, k, func(c *Config) { c.StatusHistory = 3 })
	d := e.enroll(t, "clinic", "door")

	_, sl := e.status(t, d, 0)
	if sl == nil || sl.Seq != 0 || len(sl.Entries) != 0 {
		t.Fatalf("empty snapshot: %+v", sl)
	}
	seq, _, err := e.srv.SetStatus(t.Context(), []StatusChange{{hashOf(1), healthcode.Red}, {hashOf(2), healthcode.Yellow}})
	if err != nil || seq != 2 {
		t.Fatalf("set: %d %v", seq, err)
	}
	// Setting the same colour again is no change.
	if seq, _, _ = e.srv.SetStatus(t.Context(), []StatusChange{{hashOf(1), healthcode.Red}}); seq != 2 {
		t.Errorf("same colour made a change: seq %d", seq)
	}
	_, sl = e.status(t, d, 0)
	if sl.Seq != 2 || len(sl.Entries) != 2 {
		t.Fatalf("snapshot: %+v", sl)
	}
	_, sl = e.status(t, d, 2)
	if sl.Seq != 2 || len(sl.Entries) != 0 {
		t.Fatalf("delta at head: %+v", sl)
	}
	e.srv.SetStatus(t.Context(), []StatusChange{{hashOf(1), healthcode.Green}})
	resp, sl := e.status(t, d, 2)
	if sl.Since != 2 || sl.Seq != 3 || len(sl.Entries) != 1 || sl.Entries[0].Hash != hashOf(1) || sl.Entries[0].Colour != healthcode.Green {
		t.Fatalf("delta: %+v", sl)
	}
	if resp.Header.Get(protocol.HeaderStatusSeq) != "3" {
		t.Errorf("X-Status-Seq %q", resp.Header.Get(protocol.HeaderStatusSeq))
	}
	// A client's merge of delta onto snapshot gives the server's view.
	m := healthcode.StatusMap{}
	_, snap := e.status(t, d, 0)
	m.Apply(snap.Entries)
	if got, _ := m.Lookup(hashOf(1)); got.Colour != healthcode.Green {
		t.Errorf("merged colour %v", got.Colour)
	}

	// History holds 3 changes: after 3 more, since=2 is too old → 410.
	e.srv.SetStatus(t.Context(), []StatusChange{{hashOf(3), healthcode.Red}, {hashOf(4), healthcode.Red}, {hashOf(5), healthcode.Red}})
	resp, data := e.do(t, d, call{method: "GET", uri: protocol.StatusURI(2)})
	wantError(t, "too old", resp, data, 410, protocol.ErrStatusGone)
	_, sl = e.status(t, d, 3)
	if sl == nil || len(sl.Entries) != 3 {
		t.Errorf("delta at the floor: %+v", sl)
	}
	resp, data = e.do(t, d, call{method: "GET", uri: protocol.StatusURI(99)})
	wantError(t, "unknown (future) since", resp, data, 410, protocol.ErrStatusGone)
	_, sl = e.status(t, d, 0)
	if sl.Seq != 6 || len(sl.Entries) != 5 {
		t.Errorf("snapshot after pruning: seq %d, %d entries", sl.Seq, len(sl.Entries))
	}
	resp, data = e.do(t, d, call{method: "GET", uri: "/v1/status?since=x"})
	wantError(t, "bad since", resp, data, 400, protocol.ErrBadRequest)

	// Live status.
	var ls protocol.LiveStatus
	resp, data = e.do(t, d, call{method: "GET", uri: protocol.LiveStatusURI(hashOf(3))})
	if json.Unmarshal(data, &ls); resp.StatusCode != 200 || !ls.Known || ls.Colour != healthcode.Red || ls.ServerTime.IsZero() {
		t.Errorf("live red: %d %s", resp.StatusCode, data)
	}
	ls = protocol.LiveStatus{}
	resp, data = e.do(t, d, call{method: "GET", uri: protocol.LiveStatusURI(hashOf(9))})
	if json.Unmarshal(data, &ls); resp.StatusCode != 200 || ls.Known || ls.Colour != healthcode.ColourUnknown {
		t.Errorf("live unknown: %d %s", resp.StatusCode, data)
	}
	resp, data = e.do(t, d, call{method: "GET", uri: "/v1/status/nothex"})
	wantError(t, "bad hash", resp, data, 400, protocol.ErrBadRequest)
}

func testIngestIsIdempotentAndStrict(t *testing.T, k storeKind) {
	e := newEnvOn(t, k, nil)
	d := e.enroll(t, "clinic", "door")
	d2 := e.enroll(t, "clinic", "back")
	now := e.clock.Now()
	recs := []healthcode.Record{newRecord(d, "door", "a", now), newRecord(d, "door", "a", now), newRecord(d, "door", "b", now)}

	rr := e.upload(t, d, recs, "batch-1")
	if rr.Stored != 3 || len(rr.Results) != 3 || rr.Results[1].ID != recs[1].ID || rr.ServerTime.IsZero() {
		t.Fatalf("first upload: %+v", rr)
	}
	// The retry of the same batch (a new signature, same key) gets the same answer.
	rr = e.upload(t, d, recs, "batch-1")
	if rr.Stored != 3 {
		t.Errorf("replayed batch: %+v", rr)
	}
	// Without the key (or another key) every record is a duplicate.
	rr = e.upload(t, d, recs, "")
	if rr.Duplicate != 3 || !rr.Results[0].Status.Acknowledged() {
		t.Errorf("resent batch: %+v", rr)
	}
	// Same key, different body.
	resp, data := e.do(t, d, call{method: "POST", uri: protocol.PathRecords, body: batchBody(t, recs[:1]), header: map[string]string{protocol.HeaderIdempotencyKey: "batch-1"}})
	wantError(t, "key reuse", resp, data, 422, protocol.ErrIdempotencyConflict)

	// Per-record rejections, stored alongside a good one, duplicates within one batch.
	good := newRecord(d, "door", "a", now)
	foreign := newRecord(d2, "back", "c", now) // signed by d: not its record
	noTime := newRecord(d, "door", "a", time.Time{})
	badID := newRecord(d, "door", "a", now)
	badID.ID = "not-a-uuid"
	rr = e.upload(t, d, []healthcode.Record{good, foreign, noTime, badID, good}, "")
	want := []protocol.RecordStatus{protocol.Stored, protocol.Rejected, protocol.Rejected, protocol.Rejected, protocol.Duplicate}
	for i, w := range want {
		if rr.Results[i].Status != w {
			t.Errorf("record %d: %s (%s), want %s", i, rr.Results[i].Status, rr.Results[i].Reason, w)
		}
	}
	if !strings.Contains(rr.Results[1].Reason, "signing device") {
		t.Errorf("foreign record reason %q", rr.Results[1].Reason)
	}
	// A record with an unknown field is rejected by itself.
	raw := batchBody(t, []healthcode.Record{newRecord(d, "door", "a", now)})
	raw = bytes.Replace(raw, []byte(`"gate":`), []byte(`"colour_guess":1,"gate":`), 1)
	resp, data = e.do(t, d, call{method: "POST", uri: protocol.PathRecords, body: raw})
	var rr2 protocol.RecordsReply
	json.Unmarshal(data, &rr2)
	if resp.StatusCode != 200 || rr2.Rejected != 1 || !strings.Contains(rr2.Results[0].Reason, "unknown field") {
		t.Errorf("record with unknown field: %d %s", resp.StatusCode, data)
	}
	if n := e.countRecords(t, "clinic"); n != 4 {
		t.Fatalf("%d records stored, want 4", n)
	}

	// Whole-batch refusals store nothing.
	many := make([]healthcode.Record, protocol.MaxBatch+1)
	for i := range many {
		many[i] = newRecord(d, "door", "a", now)
	}
	cases := []struct {
		name   string
		body   []byte
		ctype  string
		status int
		code   string
	}{
		{"too many records", batchBody(t, many), "application/json", 413, protocol.ErrTooManyRecords},
		{"oversize body", append(append([]byte(`{"records":[{"id":"`), bytes.Repeat([]byte("x"), protocol.MaxRecordsBody)...), `"}]}`...), "application/json", 413, protocol.ErrTooLarge},
		{"malformed JSON", []byte(`{"records":[{"id":`), "application/json", 400, protocol.ErrBadRequest},
		{"unknown top-level field", []byte(`{"records":[],"extra":1}`), "application/json", 400, protocol.ErrBadRequest},
		{"trailing data", append(batchBody(t, many[:1]), []byte(`{}`)...), "application/json", 400, protocol.ErrBadRequest},
		{"empty batch", []byte(`{"records":[]}`), "application/json", 400, protocol.ErrBadRequest},
		{"wrong content type", batchBody(t, many[:1]), "text/plain", 415, protocol.ErrUnsupportedMedia},
		{"no content type", batchBody(t, many[:1]), "", 415, protocol.ErrUnsupportedMedia},
	}
	for _, c := range cases {
		resp, data := e.do(t, d, call{method: "POST", uri: protocol.PathRecords, body: c.body, header: map[string]string{"Content-Type": c.ctype}})
		wantError(t, c.name, resp, data, c.status, c.code)
	}
	resp, data = e.do(t, d, call{method: "GET", uri: protocol.PathRecords})
	wantError(t, "GET records", resp, data, 405, protocol.ErrMethodNotAllowed)
	if n := e.countRecords(t, "clinic"); n != 4 {
		t.Fatalf("%d records after refused batches, want 4", n)
	}
}

func testProvisionalPassThenRedRaisesAlert(t *testing.T, k storeKind) {
	e := newEnvOn(t, k, nil)
	d := e.enroll(t, "care home", "gate")
	now := e.clock.Now()
	prov := newRecord(d, "gate", "a", now)
	prov.Provisional = true
	plain := newRecord(d, "gate", "a", now) // online pass: tracing, not an alert
	plain.CodeHash = prov.CodeHash
	alreadyRed := newRecord(d, "gate", "a", now)
	alreadyRed.Provisional = true
	e.srv.SetStatus(t.Context(), []StatusChange{{alreadyRed.CodeHash, healthcode.Red}})

	e.upload(t, d, []healthcode.Record{prov, plain, alreadyRed}, "")
	alerts, _ := e.srv.Store().Alerts(t.Context(), "care home")
	if len(alerts) != 1 || alerts[0].RecordID != alreadyRed.ID {
		t.Fatalf("alerts after ingest: %+v", alerts)
	}
	_, n, err := e.srv.SetStatus(t.Context(), []StatusChange{{prov.CodeHash, healthcode.Yellow}})
	if err != nil || n != 1 {
		t.Fatalf("status set: %d alerts, %v", n, err)
	}
	alerts, _ = e.srv.Store().Alerts(t.Context(), "care home")
	if len(alerts) != 2 {
		t.Fatalf("alerts: %+v", alerts)
	}
	found := false
	for _, a := range alerts {
		if a.RecordID == prov.ID && a.Colour == healthcode.Yellow && a.DeviceID == d.id {
			found = true
		}
		if a.RecordID == plain.ID {
			t.Error("a non-provisional pass was flagged")
		}
	}
	if !found {
		t.Errorf("provisional record not flagged: %+v", alerts)
	}
	// The scanner learns it through the status delta, keyed by the code hash.
	_, sl := e.status(t, d, 1)
	if len(sl.Entries) != 1 || sl.Entries[0].Hash != prov.CodeHash || sl.Entries[0].Colour != healthcode.Yellow {
		t.Errorf("delta for the scanner: %+v", sl)
	}
	// Another institution sees none of it.
	if a, _ := e.srv.Store().Alerts(t.Context(), "other"); len(a) != 0 {
		t.Errorf("alerts leak to another institution: %+v", a)
	}
}

func TestUnknownPathsAndMethods(t *testing.T) {
	e := newEnv(t, nil)
	resp, data := e.do(t, nil, call{method: "GET", uri: "/v1/nothing"})
	wantError(t, "unknown path", resp, data, 404, protocol.ErrNotFound)
	resp, data = e.do(t, nil, call{method: "GET", uri: protocol.PathEnroll})
	wantError(t, "GET enroll", resp, data, 405, protocol.ErrMethodNotAllowed)
}

func TestSecondServerOnSameDataIsRefused(t *testing.T) {
	e := newEnv(t, nil)
	_, err := New(Config{Dir: e.dir})
	if !errors.Is(err, ErrStoreBusy) {
		t.Fatalf("second server: %v, want ErrStoreBusy", err)
	}
	fi, err := os.Stat(filepath.Join(e.dir, "server.db"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("server.db mode: %v %v", fi.Mode(), err)
	}
}

// TestSlowClientsAreCutOff: a client that stalls in its headers or its body
// loses the connection instead of holding it (the real timeouts are
// seconds; shortened here).
func TestSlowClientsAreCutOff(t *testing.T) {
	e := newEnv(t, nil)
	hs := NewHTTPServer("127.0.0.1:0", e.srv.Handler(), e.srv.log)
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
