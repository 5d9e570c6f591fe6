package sync

import (
	"context"
	"testing"
	"time"

	"hcscan/healthcode"
	"hcscan/server"
)

// A provisional pass whose code the province marks red after the check:
// the next sync raises the alert on the scanner (not only on the portal);
// an operator's acknowledgement goes to the province at the sync after.
func TestAlertRaisedOnTheScannerAndAcknowledgementReported(t *testing.T) {
	w := newWorld(t)
	st := w.scanner(w.URL)
	c := newClient(t, st, Options{})
	recs := makeRecords(1, time.Now().Add(-time.Hour))
	prov := recs[0]
	prov.Provisional = true
	if err := st.Append(context.Background(), prov); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SyncOnce(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	// Marked red on the server after the pass.
	if _, _, err := w.srv.SetStatus(t.Context(), []server.StatusChange{{Hash: prov.CodeHash, Colour: healthcode.Red}}); err != nil {
		t.Fatal(err)
	}
	rep, err := c.SyncOnce(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Alerts) != 1 || rep.Alerts[0].RecordID != prov.ID || rep.Alerts[0].Already || c.State().NewAlerts != 1 {
		t.Fatalf("alerts from the sync: %+v, state %d", rep.Alerts, c.State().NewAlerts)
	}
	if n, _ := st.OpenAlerts(); n != 1 {
		t.Fatalf("open alerts in the data file: %d", n)
	}
	dev, _, _ := st.Device()
	if n, err := st.AckAlerts([]string{prov.ID}, "王芳", c.now()); err != nil || n != 1 {
		t.Fatalf("ack: %d %v", n, err)
	}
	rep, err = c.SyncOnce(context.Background(), nil)
	if err != nil || rep.AcksReported != 1 {
		t.Fatalf("acknowledgements reported %d, %v", rep.AcksReported, err)
	}
	alerts, err := w.srv.Store().Alerts(t.Context(), dev.Institution)
	if err != nil || len(alerts) != 1 || alerts[0].RecordID != prov.ID || alerts[0].AckedBy != "王芳" || alerts[0].Acked.IsZero() {
		t.Fatalf("server alerts: %+v %v", alerts, err)
	}
	// Nothing is sent twice.
	if rep, err := c.SyncOnce(context.Background(), nil); err != nil || rep.AcksReported != 0 {
		t.Fatalf("again: %d %v", rep.AcksReported, err)
	}
}
