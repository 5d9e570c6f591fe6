package storetest

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"hcscan/healthcode"
	"hcscan/protocol"
	"hcscan/server"
)

func testEnrolmentTokenIsSingleUse(t *testing.T, open Open) {
	e := NewEnv(t, open, Options{})
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	tok := e.Token(t, "第一中学", "north gate")
	body, _ := json.Marshal(protocol.NewEnrollRequest(tok, key, "laptop"))

	resp, data := e.Post(t, protocol.PathEnroll, "application/json", body)
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
	rootPub := e.Srv.Keys().Root.Public().(ed25519.PublicKey)
	if protocol.Fingerprint(rep.RootKey) != protocol.Fingerprint(rootPub) || len(tl.Issuers) != len(server.DefaultRegions) {
		t.Errorf("root key or trust list wrong: %d issuers", len(tl.Issuers))
	}
	// A reply checked against another device's key does not verify.
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	if _, err := rep.Verify(other.Public().(ed25519.PublicKey)); err == nil {
		t.Error("reply verified for another device key")
	}

	// The same token again, even with another key, is refused.
	body2, _ := json.Marshal(protocol.NewEnrollRequest(tok, other, "laptop 2"))
	resp, data = e.Post(t, protocol.PathEnroll, "application/json", body2)
	WantError(t, "token reuse", resp, data, 403, protocol.ErrTokenUsed)

	// Unknown token, bad proof, expired token.
	body3, _ := json.Marshal(protocol.NewEnrollRequest("AAAA-BBBB-CCCC-DDDD-EEEE-FFFF", other, ""))
	resp, data = e.Post(t, protocol.PathEnroll, "application/json", body3)
	WantError(t, "unknown token", resp, data, 401, protocol.ErrBadToken)

	req := protocol.NewEnrollRequest(e.Token(t, "第一中学", "east"), other, "")
	req.Proof[0] ^= 1
	body4, _ := json.Marshal(req)
	resp, data = e.Post(t, protocol.PathEnroll, "application/json", body4)
	WantError(t, "bad proof", resp, data, 400, protocol.ErrBadRequest)

	tok5 := e.Token(t, "第一中学", "west")
	e.Clock.Add(8 * 24 * time.Hour)
	body5, _ := json.Marshal(protocol.NewEnrollRequest(tok5, other, ""))
	resp, data = e.Post(t, protocol.PathEnroll, "application/json", body5)
	WantError(t, "expired token", resp, data, 403, protocol.ErrTokenExpired)

	resp, data = e.Post(t, protocol.PathEnroll, "text/plain", body5)
	WantError(t, "wrong content type", resp, data, 415, protocol.ErrUnsupportedMedia)

	devs, _ := e.Srv.Store().Devices(t.Context(), "第一中学")
	if len(devs) != 1 || devs[0].ID != rep.DeviceID {
		t.Errorf("devices after one good enrolment: %+v", devs)
	}
}

func testSignedRequestsAreChecked(t *testing.T, open Open) {
	e := NewEnv(t, open, Options{})
	d := e.Enroll(t, "clinic", "door")
	rec := NewRecord(d, "door", "王医生", e.Clock.Now())
	body := BatchBody(t, []healthcode.Record{rec})

	// Tampered body: signed one batch, sent another.
	other := NewRecord(d, "door", "王医生", e.Clock.Now())
	resp, data := e.Do(t, d, Call{Method: "POST", URI: protocol.PathRecords, Body: BatchBody(t, []healthcode.Record{other}), SignBody: body})
	WantError(t, "tampered body", resp, data, 401, protocol.ErrBadSignature)

	// Tampered query: sign since=5, send since=0.
	req, _ := http.NewRequest("GET", e.HTTP.URL+protocol.StatusURI(5), nil)
	protocol.SignRequest(req, nil, d.ID, d.Key, e.Clock.Now())
	req.URL.RawQuery = "since=0"
	resp, data = Send(t, req)
	WantError(t, "tampered query", resp, data, 401, protocol.ErrBadSignature)

	// Old and future timestamps.
	resp, data = e.Do(t, d, Call{Method: "POST", URI: protocol.PathRecords, Body: body, At: e.Clock.Now().Add(-6 * time.Minute)})
	WantError(t, "old timestamp", resp, data, 401, protocol.ErrStaleTime)
	resp, data = e.Do(t, d, Call{Method: "GET", URI: protocol.PathTrustList, At: e.Clock.Now().Add(6 * time.Minute)})
	WantError(t, "future timestamp", resp, data, 401, protocol.ErrStaleTime)

	// Unknown device: a key the server never enrolled.
	_, stranger, _ := ed25519.GenerateKey(rand.Reader)
	resp, data = e.Do(t, &Device{ID: "0190c0de-0000-7000-8000-000000000000", Key: stranger}, Call{Method: "POST", URI: protocol.PathRecords, Body: body})
	WantError(t, "unknown device", resp, data, 401, protocol.ErrUnknownDevice)

	// A known device id signed with another key.
	resp, data = e.Do(t, &Device{ID: d.ID, Key: stranger}, Call{Method: "POST", URI: protocol.PathRecords, Body: body})
	WantError(t, "wrong key", resp, data, 401, protocol.ErrBadSignature)

	// Unsigned.
	resp, data = e.Do(t, nil, Call{Method: "POST", URI: protocol.PathRecords, Body: body})
	WantError(t, "unsigned", resp, data, 401, protocol.ErrUnsigned)
	if n := e.CountRecords(t, "clinic"); n != 0 {
		t.Fatalf("%d records stored by refused requests", n)
	}

	// Replay: the exact same signed request twice.
	req, _ = http.NewRequest("POST", e.HTTP.URL+protocol.PathRecords, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	protocol.SignRequest(req, body, d.ID, d.Key, e.Clock.Now())
	resp, data = Send(t, req)
	if resp.StatusCode != 200 {
		t.Fatalf("first send: %d %s", resp.StatusCode, data)
	}
	req2 := req.Clone(req.Context())
	req2.Body = io.NopCloser(bytes.NewReader(body))
	resp, data = Send(t, req2)
	WantError(t, "replay", resp, data, 401, protocol.ErrReplay)
	if n := e.CountRecords(t, "clinic"); n != 1 {
		t.Fatalf("%d records after one good upload", n)
	}

	// The server's clock is reported so a skewed client can correct itself.
	st, _ := protocol.ServerTime(resp.Header)
	if d := st.Sub(e.Clock.Now()); d > time.Second || d < -time.Second {
		t.Errorf("X-Server-Time %v is not the server clock %v", st, e.Clock.Now())
	}
}

func testStatusDeltaSnapshotAndLive(t *testing.T, open Open) {
	e := NewEnv(t, open, Options{StatusHistory: 3})
	d := e.Enroll(t, "clinic", "door")

	_, sl := e.Status(t, d, 0)
	if sl == nil || sl.Seq != 0 || len(sl.Entries) != 0 {
		t.Fatalf("empty snapshot: %+v", sl)
	}
	seq, _, err := e.Srv.SetStatus(t.Context(), []server.StatusChange{{Hash: HashOf(1), Colour: healthcode.Red}, {Hash: HashOf(2), Colour: healthcode.Yellow}})
	if err != nil || seq != 2 {
		t.Fatalf("set: %d %v", seq, err)
	}
	// Setting the same colour again is no change.
	if seq, _, _ = e.Srv.SetStatus(t.Context(), []server.StatusChange{{Hash: HashOf(1), Colour: healthcode.Red}}); seq != 2 {
		t.Errorf("same colour made a change: seq %d", seq)
	}
	_, sl = e.Status(t, d, 0)
	if sl.Seq != 2 || len(sl.Entries) != 2 {
		t.Fatalf("snapshot: %+v", sl)
	}
	_, sl = e.Status(t, d, 2)
	if sl.Seq != 2 || len(sl.Entries) != 0 {
		t.Fatalf("delta at head: %+v", sl)
	}
	e.Srv.SetStatus(t.Context(), []server.StatusChange{{Hash: HashOf(1), Colour: healthcode.Green}})
	resp, sl := e.Status(t, d, 2)
	if sl.Since != 2 || sl.Seq != 3 || len(sl.Entries) != 1 || sl.Entries[0].Hash != HashOf(1) || sl.Entries[0].Colour != healthcode.Green {
		t.Fatalf("delta: %+v", sl)
	}
	if resp.Header.Get(protocol.HeaderStatusSeq) != "3" {
		t.Errorf("X-Status-Seq %q", resp.Header.Get(protocol.HeaderStatusSeq))
	}
	// A client's merge of delta onto snapshot gives the server's view.
	m := healthcode.StatusMap{}
	_, snap := e.Status(t, d, 0)
	m.Apply(snap.Entries)
	if got, _ := m.Lookup(HashOf(1)); got.Colour != healthcode.Green {
		t.Errorf("merged colour %v", got.Colour)
	}

	// History holds 3 changes: after 3 more, since=2 is too old → 410.
	e.Srv.SetStatus(t.Context(), []server.StatusChange{{Hash: HashOf(3), Colour: healthcode.Red}, {Hash: HashOf(4), Colour: healthcode.Red}, {Hash: HashOf(5), Colour: healthcode.Red}})
	resp, data := e.Do(t, d, Call{Method: "GET", URI: protocol.StatusURI(2)})
	WantError(t, "too old", resp, data, 410, protocol.ErrStatusGone)
	_, sl = e.Status(t, d, 3)
	if sl == nil || len(sl.Entries) != 3 {
		t.Errorf("delta at the floor: %+v", sl)
	}
	resp, data = e.Do(t, d, Call{Method: "GET", URI: protocol.StatusURI(99)})
	WantError(t, "unknown (future) since", resp, data, 410, protocol.ErrStatusGone)
	_, sl = e.Status(t, d, 0)
	if sl.Seq != 6 || len(sl.Entries) != 5 {
		t.Errorf("snapshot after pruning: seq %d, %d entries", sl.Seq, len(sl.Entries))
	}
	resp, data = e.Do(t, d, Call{Method: "GET", URI: "/v1/status?since=x"})
	WantError(t, "bad since", resp, data, 400, protocol.ErrBadRequest)

	// Live status.
	var ls protocol.LiveStatus
	resp, data = e.Do(t, d, Call{Method: "GET", URI: protocol.LiveStatusURI(HashOf(3))})
	if json.Unmarshal(data, &ls); resp.StatusCode != 200 || !ls.Known || ls.Colour != healthcode.Red || ls.ServerTime.IsZero() {
		t.Errorf("live red: %d %s", resp.StatusCode, data)
	}
	ls = protocol.LiveStatus{}
	resp, data = e.Do(t, d, Call{Method: "GET", URI: protocol.LiveStatusURI(HashOf(9))})
	if json.Unmarshal(data, &ls); resp.StatusCode != 200 || ls.Known || ls.Colour != healthcode.ColourUnknown {
		t.Errorf("live unknown: %d %s", resp.StatusCode, data)
	}
	resp, data = e.Do(t, d, Call{Method: "GET", URI: "/v1/status/nothex"})
	WantError(t, "bad hash", resp, data, 400, protocol.ErrBadRequest)
}
