package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"hcscan/healthcode"
	"hcscan/internal/pgtest"
	"hcscan/protocol"
)

// The rule for replayed requests, on both stores, across a kill -9 and a
// restart of the server process: a request that changes something (a
// POST: records, alert acknowledgements) is refused when its signed copy
// comes again, however late within the clock skew; a request that only
// reads (a GET) is answered again, with what is true now, and a live
// answer is signed over the nonce of the request it answers (which its
// scanner has long stopped waiting for).
func TestReplayRule(t *testing.T) {
	t.Run("bbolt", func(t *testing.T) { testReplayRule(t, nil) })
	t.Run("postgres", func(t *testing.T) {
		db := pgtest.Start(t, false).NewDatabase(t)
		testReplayRule(t, []string{"--db", db})
	})
}

func testReplayRule(t *testing.T, store []string) {
	data := filepath.Join(t.TempDir(), "prov")
	if _, stderr, code := run(t, "", "hcserver", "keys", "init", "--dir", data); code != 0 {
		t.Fatalf("keys init: %s", stderr)
	}
	tok, stderr, code := run(t, "", "hcserver", append([]string{"token", "--data", data, "--institution", "第一中学", "--gate", "北门"}, store...)...)
	if code != 0 {
		t.Fatalf("token: %s", stderr)
	}
	srv, url, _ := startServeArgs(t, append([]string{"--data", data}, store...)...)
	rep, key := enrolOver(t, url, strings.TrimSpace(tok))

	// A batch and a live check, signed once and captured.
	rec := failoverRecords(rep.DeviceID, rep.Gate, 1)[0]
	rec.Institution = rep.Institution
	batch, _ := json.Marshal(protocol.RecordBatch{Records: []healthcode.Record{*rec}})
	post, _ := http.NewRequest("POST", url+protocol.PathRecords, nil)
	post.Header.Set("Content-Type", protocol.ContentTypeJSON)
	protocol.SignRequest(post, batch, rep.DeviceID, key, time.Now())
	h := healthcode.CodeHash{7}
	get, _ := http.NewRequest("GET", url+protocol.LiveStatusURI(h), nil)
	protocol.SignRequest(get, nil, rep.DeviceID, key, time.Now())
	nonce := get.Header.Get(protocol.HeaderNonce)

	send := func(base string, captured *http.Request, body []byte) (int, []byte) {
		t.Helper()
		r, _ := http.NewRequest(captured.Method, base+captured.URL.RequestURI(), bytes.NewReader(body))
		r.Header = captured.Header.Clone()
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	wantRefused := func(when, base string) {
		t.Helper()
		if code, body := send(base, post, batch); code != http.StatusUnauthorized || !bytes.Contains(body, []byte(protocol.ErrReplay)) {
			t.Fatalf("POST replayed %s: %d %s, want 401 %s", when, code, body, protocol.ErrReplay)
		}
	}
	wantAnswered := func(when, base string, colour healthcode.Colour) {
		t.Helper()
		code, body := send(base, get, nil)
		var ls protocol.LiveStatus
		if code != http.StatusOK || json.Unmarshal(body, &ls) != nil {
			t.Fatalf("GET sent again %s: %d %s, want 200", when, code, body)
		}
		if err := ls.Verify(rep.ServerKey, nonce); err != nil {
			t.Errorf("GET sent again %s: %v", when, err)
		}
		if ls.Colour != colour {
			t.Errorf("GET sent again %s: colour %v, want the current %v", when, ls.Colour, colour)
		}
	}

	if code, body := send(url, post, batch); code != http.StatusOK || !bytes.Contains(body, []byte(`"stored":1`)) {
		t.Fatalf("first POST: %d %s", code, body)
	}
	wantRefused("at once", url)
	wantAnswered("first", url, healthcode.ColourUnknown)
	wantAnswered("at once", url, healthcode.ColourUnknown)

	// The code turns red; the copy of the check learns today's colour,
	// signed for the nonce the scanner chose then.
	if out, stderr, code := run(t, "", "hcserver", append([]string{"status", "set", "--data", data, "--code-hash", h.String(), "--colour", "red"}, store...)...); code != 0 {
		t.Fatalf("status set: %s %s", out, stderr)
	}
	wantAnswered("after the code turned red", url, healthcode.Red)

	srv.Process.Signal(syscall.SIGKILL)
	srv.Wait()
	_, url2, _ := startServeArgs(t, append([]string{"--data", data}, store...)...)
	wantRefused("after kill -9 and a restart", url2)
	wantAnswered("after kill -9 and a restart", url2, healthcode.Red)

	// The same records newly signed are duplicates: stored once.
	post2, _ := http.NewRequest("POST", url2+protocol.PathRecords, nil)
	post2.Header.Set("Content-Type", protocol.ContentTypeJSON)
	protocol.SignRequest(post2, batch, rep.DeviceID, key, time.Now())
	if code, body := send(url2, post2, batch); code != http.StatusOK || !bytes.Contains(body, []byte(`"duplicate":1`)) {
		t.Fatalf("the batch signed anew: %d %s, want one duplicate", code, body)
	}
}
