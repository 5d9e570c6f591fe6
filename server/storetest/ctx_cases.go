package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"hcscan/healthcode"
	"hcscan/server"
)

// testEndedContextStoresNothing: a call whose context has ended (its
// request's client went away) fails with the context's error and changes
// nothing.
func testEndedContextStoresNothing(t *testing.T, open Open) {
	e := NewEnv(t, open, Options{})
	d := e.Enroll(t, "clinic", "door")
	st := e.Srv.Store()
	dev, err := st.Device(t.Context(), d.ID)
	if err != nil {
		t.Fatal(err)
	}
	ended, cancel := context.WithCancel(t.Context())
	cancel()
	now := e.Clock.Now()
	r := NewRecord(d, "door", "a", now)
	raw, _ := json.Marshal(r)
	if _, _, err := st.Ingest(ended, dev, []server.IngestRecord{{ID: r.ID, Record: r, Raw: raw}}, server.IdempotencyKey{}, now); !errors.Is(err, context.Canceled) {
		t.Errorf("ingest with an ended context: %v, want context.Canceled", err)
	}
	if n := e.CountRecords(t, "clinic"); n != 0 {
		t.Errorf("%d records stored by an ended request", n)
	}
	if _, _, err := st.SetStatus(ended, []server.StatusChange{{Hash: HashOf(1), Colour: healthcode.Red}}, now); !errors.Is(err, context.Canceled) {
		t.Errorf("set status with an ended context: %v", err)
	}
	if _, known, err := st.Status(t.Context(), HashOf(1)); known || err != nil {
		t.Errorf("status set by an ended request: %v %v", known, err)
	}
	tok := server.Token{Hash: server.HashToken("ENDED"), Kind: server.TokenPortal, Institution: "clinic", Hint: "ENDE", Created: now, Expires: now.Add(time.Hour)}
	if err := st.PutToken(ended, tok); !errors.Is(err, context.Canceled) {
		t.Errorf("put token with an ended context: %v", err)
	}
	if _, err := st.Token(t.Context(), tok.Hash); !errors.Is(err, server.ErrTokenUnknown) {
		t.Errorf("token saved by an ended request: %v", err)
	}
	if _, err := st.Records(ended, server.RecordQuery{Institution: "clinic"}); !errors.Is(err, context.Canceled) {
		t.Errorf("records with an ended context: %v", err)
	}
}
