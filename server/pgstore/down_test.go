package pgstore

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"hcscan/healthcode"
	"hcscan/internal/pgtest"
	"hcscan/protocol"
	"hcscan/server"
	"hcscan/server/storetest"
)

// TestDatabaseDownIsTemporary: with PostgreSQL gone, every scanner
// request that needs it is answered the same way, 503 unavailable with
// Retry-After (a temporary failure the scanner retries, keeping its
// records), never a 500 that says nothing of when to come back. The trust
// list, which the process holds, may still be served to a device it
// knows from the last moments.
func TestDatabaseDownIsTemporary(t *testing.T) {
	pg := pgtest.Start(t, false)
	e := storetest.NewEnv(t, func(t testing.TB, o storetest.Options) server.Store {
		return openTest(t, pg.NewDatabase(t), o)
	}, storetest.Options{})
	d := e.Enroll(t, "clinic", "door")
	batch := storetest.BatchBody(t, []healthcode.Record{storetest.NewRecord(d, "door", "a", e.Clock.Now())})
	calls := map[string]storetest.Call{
		"status list": {Method: "GET", URI: protocol.StatusURI(0)},
		"live status": {Method: "GET", URI: protocol.LiveStatusURI(storetest.HashOf(1))},
		"trust list":  {Method: "GET", URI: protocol.PathTrustList},
		"upload":      {Method: "POST", URI: protocol.PathRecords, Body: batch, Header: map[string]string{protocol.HeaderIdempotencyKey: "k1"}},
	}
	for what, c := range calls {
		if resp, data := e.Do(t, d, c); resp.StatusCode != http.StatusOK {
			t.Fatalf("%s with the database up: %d %s", what, resp.StatusCode, data)
		}
	}
	pg.Kill(t)
	calls["upload"] = storetest.Call{Method: "POST", URI: protocol.PathRecords, Body: batch, Header: map[string]string{protocol.HeaderIdempotencyKey: "k2"}}
	for what, c := range calls {
		start := time.Now()
		resp, data := e.Do(t, d, c)
		var er protocol.ErrorReply
		json.Unmarshal(data, &er)
		if what == "trust list" && resp.StatusCode == http.StatusOK {
			if _, err := healthcode.ParseTrustList(data, d.Rep.RootKey, 0); err != nil {
				t.Errorf("trust list served with the database down: %v", err)
			}
			continue
		}
		if resp.StatusCode != http.StatusServiceUnavailable || er.Code != protocol.ErrUnavailable || resp.Header.Get("Retry-After") == "" {
			t.Errorf("%s with the database down: %d %s (Retry-After %q), want 503 %s with Retry-After",
				what, resp.StatusCode, data, resp.Header.Get("Retry-After"), protocol.ErrUnavailable)
		}
		if took := time.Since(start); took > 20*time.Second {
			t.Errorf("%s took %s to fail", what, took)
		}
	}
}
