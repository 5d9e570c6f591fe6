package storetest

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"hcscan/healthcode"
	"hcscan/protocol"
	"hcscan/server"
)

// An operator at the gate acknowledges an alert on the scanner; the
// scanner tells the server (a signed POST /v1/alerts/ack) and the portal
// shows who saw it and when. The first acknowledgement stays; a device
// acknowledges only its own records' alerts.
func testAlertAcknowledgedAtTheGate(t *testing.T, open Open) {
	e := NewEnv(t, open, Options{})
	d := e.Enroll(t, "care home", "north")
	other := e.Enroll(t, "school", "east")
	now := e.Clock.Now()
	prov := NewRecord(d, "north", "王芳", now)
	prov.Provisional = true
	e.Upload(t, d, []healthcode.Record{prov}, "")
	if _, n, err := e.Srv.SetStatus(t.Context(), []server.StatusChange{{Hash: prov.CodeHash, Colour: healthcode.Red}}); err != nil || n != 1 {
		t.Fatalf("status set: %d alerts, %v", n, err)
	}

	ack := func(d *Device, acks ...protocol.AlertAck) protocol.AlertAckReply {
		t.Helper()
		body, _ := json.Marshal(protocol.AlertAckBatch{Acks: acks})
		resp, data := e.Do(t, d, Call{Method: "POST", URI: protocol.PathAlertAcks, Body: body})
		if resp.StatusCode != 200 {
			t.Fatalf("ack: %d %s", resp.StatusCode, data)
		}
		var reply protocol.AlertAckReply
		if err := json.Unmarshal(data, &reply); err != nil || len(reply.Results) != len(acks) {
			t.Fatalf("ack reply %s: %v", data, err)
		}
		return reply
	}
	seen := now.Add(10 * time.Minute).Truncate(time.Millisecond)
	unknown := uuid.NewString()
	reply := ack(d, protocol.AlertAck{RecordID: prov.ID, Operator: "王芳", At: seen}, protocol.AlertAck{RecordID: unknown, Operator: "王芳", At: seen})
	if reply.Results[0] != (protocol.AlertAckResult{RecordID: prov.ID, Status: protocol.AckKept}) || reply.Results[1].Status != protocol.AckUnknown {
		t.Fatalf("ack results %+v", reply.Results)
	}
	// Another institution's device cannot acknowledge it.
	if r := ack(other, protocol.AlertAck{RecordID: prov.ID, Operator: "李雷", At: seen}); r.Results[0].Status != protocol.AckUnknown {
		t.Fatalf("another device acknowledged it: %+v", r.Results)
	}
	// Sent again (a lost reply) or by a later operator: the first stays.
	ack(d, protocol.AlertAck{RecordID: prov.ID, Operator: "赵六", At: seen.Add(time.Hour)})
	alerts, err := e.Srv.Store().Alerts(t.Context(), "care home")
	if err != nil || len(alerts) != 1 || alerts[0].AckedBy != "王芳" || !alerts[0].Acked.Equal(seen) {
		t.Fatalf("alerts after the acknowledgement: %+v %v", alerts, err)
	}
	// A later colour change keeps the acknowledgement.
	if _, _, err := e.Srv.SetStatus(t.Context(), []server.StatusChange{{Hash: prov.CodeHash, Colour: healthcode.Yellow}}); err != nil {
		t.Fatal(err)
	}
	if alerts, _ = e.Srv.Store().Alerts(t.Context(), "care home"); len(alerts) != 1 || alerts[0].AckedBy != "王芳" {
		t.Fatalf("alerts after a colour change: %+v", alerts)
	}

	p := NewBrowser(t, e.HTTP.URL)
	home := p.Login(e, server.TokenPortal, "care home")
	if !strings.Contains(home, "seen at the gate") || !strings.Contains(home, "王芳") {
		t.Fatalf("the portal does not show the acknowledgement:\n%s", home)
	}

	// Refusals: an empty batch, a bad record id, a missing operator.
	for _, c := range []struct {
		what string
		body string
	}{
		{"empty", `{"acks":[]}`},
		{"bad id", `{"acks":[{"record_id":"x","operator":"a","at":"2026-11-29T09:00:00Z"}]}`},
		{"no operator", `{"acks":[{"record_id":"` + prov.ID + `","operator":"","at":"2026-11-29T09:00:00Z"}]}`},
		{"control characters", `{"acks":[{"record_id":"` + prov.ID + `","operator":"a\u001b[31m","at":"2026-11-29T09:00:00Z"}]}`},
		{"unknown field", `{"acks":[],"x":1}`},
	} {
		resp, data := e.Do(t, d, Call{Method: "POST", URI: protocol.PathAlertAcks, Body: []byte(c.body)})
		WantError(t, c.what, resp, data, 400, protocol.ErrBadRequest)
	}
}
