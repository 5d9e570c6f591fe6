package sync

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"hcscan/healthcode"
	"hcscan/protocol"
	"hcscan/server"
)

// The scanner keeps its institution's roster as the province signed it:
// person keys and groups, never a name; new alerts about its people come
// with the sync; an unchanged roster costs a 304; a roster of another
// institution or not signed by the province is refused.
func TestRosterPulledWithAlertsAndNoNames(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	dir := t.TempDir()
	st := openStore(t, dir)
	if _, err := Enroll(context.Background(), st, EnrollOptions{ServerURL: w.URL, Token: w.token("第一中学", "north gate")}); err != nil {
		t.Fatal(err)
	}
	ms, err := w.srv.AddRosterMembers(ctx, "第一中学", []server.RosterEntry{
		{Name: "张小三", Group: "高一(3)班", Role: healthcode.RoleStudent}, {Name: "李老师", Group: "教务处", Role: healthcode.RoleStaff},
	})
	if err != nil {
		t.Fatal(err)
	}
	zhang, _ := w.srv.Keys().PersonKey(healthcode.IDResident, "110105200801011234")
	ms[0].Person, ms[0].Masked, ms[0].Linked = zhang, "张*三", w.srv.Now()
	if err := w.srv.Store().PutRosterMembers(ctx, "第一中学", ms[:1]); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, st, Options{})
	rep, err := c.SyncOnce(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, etag, fetched, _ := st.Roster()
	ro, err := protocol.ParseRoster(raw, c.statusKey(), "第一中学")
	if err != nil || rep.RosterMembers != 1 || len(ro.Members) != 1 || ro.Members[0].Person != zhang || ro.Members[0].Group != "高一(3)班" || len(ro.Groups) != 2 || etag == "" || fetched.IsZero() {
		t.Fatalf("roster after sync: %+v %v (report %d members)", ro, err, rep.RosterMembers)
	}

	// The code of the person turns red at the province: the next sync
	// brings the alert (group and masked name), once.
	h := healthcode.CodeHash{1, 2, 3}
	if _, _, err := w.srv.SetStatus(ctx, []server.StatusChange{{Hash: h, Colour: healthcode.Red, Person: zhang}}); err != nil {
		t.Fatal(err)
	}
	rep, err = c.SyncOnce(ctx, nil)
	if err != nil || len(rep.RosterAlerts) != 1 || rep.RosterAlerts[0].Kind != protocol.AlertRed || rep.RosterAlerts[0].Name != "张*三" || c.State().NewAlerts != 1 {
		t.Fatalf("alert: %+v %v (new alerts %d)", rep.RosterAlerts, err, c.State().NewAlerts)
	}
	before, etag2, _, _ := st.Roster()
	rep, err = c.SyncOnce(ctx, nil)
	after, etag3, _, _ := st.Roster()
	if err != nil || len(rep.RosterAlerts) != 0 || etag3 != etag2 || !bytes.Equal(before, after) {
		t.Errorf("unchanged roster: %d new alerts, etag %q → %q, %v", len(rep.RosterAlerts), etag2, etag3, err)
	}

	// No name anywhere in the data file: not in its bytes, and not in the
	// roster it keeps (whose body the signed envelope holds as base64).
	body, err := healthcode.OpenDoc(after, protocol.DocRoster, c.statusKey())
	if err != nil || !bytes.Contains(body, []byte("高一(3)班")) || !bytes.Contains(body, []byte("张*三")) {
		t.Fatalf("the roster kept: %v %s", err, body)
	}
	for _, name := range []string{"张小三", "李老师"} {
		if bytes.Contains(body, []byte(name)) {
			t.Errorf("the roster on the scanner names %s", name)
		}
	}
	st.Close()
	data, err := os.ReadFile(filepath.Join(dir, "hcscan.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"张小三", "李老师"} {
		if bytes.Contains(data, []byte(name)) {
			t.Errorf("the data file holds %s in clear", name)
		}
	}
}

func TestRosterOfAnotherInstitutionOrForgedRefused(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	st := w.scanner(w.URL)
	c := newClient(t, st, Options{})
	if _, err := w.srv.AddRosterMembers(ctx, "第二中学", []server.RosterEntry{{Name: "王五", Group: "初一(1)班", Role: healthcode.RoleStudent}}); err != nil {
		t.Fatal(err)
	}
	other, err := w.srv.ScannerRoster(ctx, "第二中学")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := jsonMarshal(other)
	signed, _ := jsonMarshal(healthcode.SignDoc(protocol.DocRoster, body, w.srv.Keys().Server))
	if _, err := protocol.ParseRoster(signed, c.statusKey(), "第一中学"); err == nil {
		t.Error("another institution's roster accepted")
	}
	_, forger, _ := genKey()
	forged, _ := jsonMarshal(healthcode.SignDoc(protocol.DocRoster, body, forger))
	if _, err := protocol.ParseRoster(forged, c.statusKey(), "第二中学"); err == nil {
		t.Error("a roster not signed by the province accepted")
	}
	// A damaged roster in the data file is fetched whole again.
	if err := st.SaveRoster([]byte("{not a roster"), `"ro-x"`, w.srv.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SyncOnce(ctx, nil); err != nil {
		t.Fatal(err)
	}
	raw, _, _, _ := st.Roster()
	if _, err := protocol.ParseRoster(raw, c.statusKey(), "第一中学"); err != nil {
		t.Errorf("after a damaged cache: %v", err)
	}
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

func genKey() (ed25519.PublicKey, ed25519.PrivateKey, error) { return ed25519.GenerateKey(rand.Reader) }
