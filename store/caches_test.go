package store

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/nacl/box"

	"hcscan/healthcode"
)

func TestTrustListCache(t *testing.T) {
	s, c, path := newTest(t)
	if raw, _, _, _ := s.TrustList(); raw != nil {
		t.Fatal("a new file has a trust list")
	}
	if err := s.SaveTrustList([]byte(`{"v":5}`), 5, t0); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveTrustList([]byte(`{"v":4}`), 4, t0.Add(time.Hour)); !errors.Is(err, ErrRollback) {
		t.Fatalf("older trust list: %v, want ErrRollback", err)
	}
	// Not modified: same seq, nil raw only moves the fetch time.
	if err := s.SaveTrustList(nil, 5, t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openTest(t, path, c)
	raw, seq, fetched, err := s.TrustList()
	if err != nil || string(raw) != `{"v":5}` || seq != 5 || !fetched.Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("trust list = %s %d %v %v", raw, seq, fetched, err)
	}
}

func hash(s string) healthcode.CodeHash {
	var h healthcode.CodeHash
	copy(h[:], s)
	return h
}

func TestStatusCacheLookupAndRollback(t *testing.T) {
	s, c, path := newTest(t)
	a, b := hash("aaaa"), hash("bbbb")
	if _, err := s.ApplyStatus([]healthcode.StatusEntry{
		{Hash: a, Colour: healthcode.Yellow, Updated: t0, Seq: 3},
		{Hash: b, Colour: healthcode.Red, Updated: t0, Seq: 4},
	}, 4, t0); err != nil {
		t.Fatal(err)
	}
	// A delta with an older entry for a does not undo the newer one.
	if _, err := s.ApplyStatus([]healthcode.StatusEntry{
		{Hash: a, Colour: healthcode.Green, Updated: t0.Add(-time.Hour), Seq: 2},
		{Hash: b, Colour: healthcode.Green, Updated: t0.Add(time.Hour), Seq: 6},
	}, 6, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApplyStatus(nil, 5, t0); !errors.Is(err, ErrRollback) {
		t.Fatalf("older status list: %v", err)
	}
	s.Close()
	s = openTest(t, path, c)
	var look healthcode.StatusLookup = s
	if e, ok := look.Lookup(a); !ok || e.Colour != healthcode.Yellow || e.Seq != 3 || !e.Updated.Equal(t0) {
		t.Fatalf("lookup a = %+v %v", e, ok)
	}
	if e, ok := look.Lookup(b); !ok || e.Colour != healthcode.Green {
		t.Fatalf("lookup b = %+v %v", e, ok)
	}
	if _, ok := look.Lookup(hash("cccc")); ok {
		t.Fatal("lookup of an unknown code found an entry")
	}
	if seq, _ := s.StatusSeq(); seq != 6 {
		t.Fatalf("status seq = %d", seq)
	}
	if f, _ := s.StatusFetched(); !f.Equal(t0.Add(time.Hour)) {
		t.Fatalf("status fetched = %v", f)
	}
	// A snapshot replaces everything.
	if _, err := s.ReplaceStatus([]healthcode.StatusEntry{{Hash: b, Colour: healthcode.Red, Updated: t0, Seq: 9}}, 9, t0); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Lookup(a); ok {
		t.Fatal("snapshot kept an entry it does not hold")
	}
}

// Every provisional pass of a code that is now red or yellow gets an alert,
// whether the code had turned before the check (the status data was
// stale) or after: the person passed and must be traced either way. It
// stays open until an operator acknowledges it, and the acknowledgement
// waits to be reported to the province.
func TestProvisionalPassGetsAlertWhenCodeTurns(t *testing.T) {
	s, c, _ := newTest(t)
	early := rec(1, t0, healthcode.VerdictPass)
	early.Provisional = true
	late := rec(1, t0.Add(2*time.Hour), healthcode.VerdictPass) // same code, checked later
	late.Provisional = true
	notProv := rec(1, t0.Add(3*time.Hour), healthcode.VerdictPass)
	other := rec(2, t0.Add(3*time.Hour), healthcode.VerdictPass)
	other.Provisional = true
	for _, r := range []*healthcode.Record{early, late, notProv, other} {
		mustAppend(t, s, r)
	}
	// The code turned red one hour after the first check, before the second.
	turned := t0.Add(time.Hour)
	alerts, err := s.ApplyStatus([]healthcode.StatusEntry{{Hash: early.CodeHash, Colour: healthcode.Red, Updated: turned, Seq: 1}}, 1, t0.Add(4*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 2 || alerts[0].RecordID != early.ID || alerts[0].Already || alerts[1].RecordID != late.ID || !alerts[1].Already ||
		alerts[0].Colour != healthcode.Red || !alerts[0].Since.Equal(turned) || !strings.Contains(alerts[0].Reason, "after the check") {
		t.Fatalf("alerts = %+v, want one for each provisional pass", alerts)
	}
	// The same news again raises nothing new.
	if again, _ := s.ApplyStatus([]healthcode.StatusEntry{{Hash: early.CodeHash, Colour: healthcode.Red, Updated: turned, Seq: 2}}, 2, t0.Add(5*time.Hour)); len(again) != 0 {
		t.Fatalf("repeat alerts = %+v", again)
	}
	if n, _ := s.OpenAlerts(); n != 2 {
		t.Fatalf("open alerts %d, want 2", n)
	}

	// An operator acknowledges the first: it is no longer open, and waits
	// to be reported; a second acknowledgement keeps the first one's.
	if n, err := s.AckAlerts([]string{early.ID}, "王芳", c.Now()); err != nil || n != 1 {
		t.Fatalf("ack: %d %v", n, err)
	}
	if n, _ := s.AckAlerts([]string{early.ID}, "赵六", c.Now().Add(time.Hour)); n != 0 {
		t.Fatalf("a second acknowledgement marked %d", n)
	}
	if n, _ := s.OpenAlerts(); n != 1 {
		t.Fatalf("open alerts %d after one acknowledgement, want 1", n)
	}
	rep, err := s.AcksToReport()
	if err != nil || len(rep) != 1 || rep[0].RecordID != early.ID || rep[0].AckedBy != "王芳" || !rep[0].Acked.Equal(c.Now()) {
		t.Fatalf("to report: %+v %v", rep, err)
	}
	if err := s.MarkAlertsReported([]string{early.ID}); err != nil {
		t.Fatal(err)
	}
	if rep, _ := s.AcksToReport(); len(rep) != 0 {
		t.Fatalf("still to report: %+v", rep)
	}
	if _, err := s.AckAlerts([]string{"nope"}, "王芳", c.Now()); !errors.Is(err, ErrNotFound) {
		t.Fatalf("ack of an unknown record: %v", err)
	}

	// A file's older "seen" mark counts as acknowledged, with nothing to report.
	if err := s.AddAlert(other.ID, "operator noticed"); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkAlert(other.ID, true, false); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.OpenAlerts(); n != 1 {
		t.Fatalf("open alerts %d, want 1 (late)", n)
	}
	all, _ := s.Alerts()
	if len(all) != 3 || all[2].Reason != "operator noticed" || all[2].Open() {
		t.Fatalf("alerts = %+v", all)
	}
	if err := s.AddAlert("nope", "x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("alert for unknown record: %v", err)
	}
}

func TestOperatorsKeepOnlyAVerifier(t *testing.T) {
	s, c, path := newTest(t)
	const pin = "739184265"
	if err := s.AddOperator("王芳", pin); err != nil {
		t.Fatal(err)
	}
	if err := s.AddOperator("王芳", "1111"); !errors.Is(err, ErrOperatorExists) {
		t.Fatalf("duplicate operator: %v", err)
	}
	if err := s.AddOperator("李雷", "12"); err == nil {
		t.Fatal("a 2-digit PIN was accepted")
	}
	if ok, err := s.CheckPIN("王芳", pin); !ok || err != nil {
		t.Fatalf("right PIN: %v %v", ok, err)
	}
	if ok, _ := s.CheckPIN("王芳", "739184266"); ok {
		t.Fatal("wrong PIN accepted")
	}
	if ok, err := s.CheckPIN("nobody", pin); ok || err != nil {
		t.Fatalf("unknown operator: %v %v", ok, err)
	}
	ops, _ := s.Operators()
	if len(ops) != 1 || ops[0].Name != "王芳" || !ops[0].LastLogin.Equal(t0) {
		t.Fatalf("operators = %+v", ops)
	}
	s.Close()
	raw, _ := os.ReadFile(path)
	if strings.Contains(string(raw), pin) {
		t.Fatal("the data file holds the PIN")
	}
	s = openTest(t, path, c)
	// Five wrong PINs lock the operator, even against the right PIN; the
	// tries left count down before.
	left, err := s.PINTriesLeft("王芳")
	if left != maxPINFailures-1 || err != nil { // one wrong PIN above
		t.Fatalf("after one wrong PIN: %d tries left, %v", left, err)
	}
	for i := 0; i < left; i++ {
		if l, err := s.PINTriesLeft("王芳"); l != left-i || err != nil {
			t.Fatalf("%d tries left, %v; want %d", l, err, left-i)
		}
		s.CheckPIN("王芳", "0000")
	}
	ok, err := s.CheckPIN("王芳", pin)
	var le *LockedError
	if ok || !errors.Is(err, ErrOperatorLocked) || !errors.As(err, &le) || !le.Until.Equal(c.t.Add(pinLockout)) {
		t.Fatalf("locked operator: %v %v", ok, err)
	}
	if left, err := s.PINTriesLeft("王芳"); left != 0 || !errors.As(err, &le) {
		t.Fatalf("locked: %d tries left, %v", left, err)
	}
	if _, err := s.PINTriesLeft("nobody"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown operator: %v", err)
	}
	c.t = c.t.Add(pinLockout + time.Second)
	if ok, err := s.CheckPIN("王芳", pin); !ok || err != nil {
		t.Fatalf("after lockout: %v %v", ok, err)
	}
	if err := s.SetPIN("王芳", "5555"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.CheckPIN("王芳", "5555"); !ok {
		t.Fatal("new PIN refused")
	}
	if err := s.RemoveOperator("王芳"); err != nil {
		t.Fatal(err)
	}
	if ops, _ := s.Operators(); len(ops) != 0 {
		t.Fatal("operator not removed")
	}
}

func TestDeviceIdentityAndKeyFile(t *testing.T) {
	s, c, path := newTest(t)
	if _, ok, err := s.Device(); ok || err != nil {
		t.Fatalf("new file has a device: %v %v", ok, err)
	}
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	root, _, _ := ed25519.GenerateKey(rand.Reader)
	d := Device{ID: "dev-7", Institution: "inst-42", Gate: "north", ServerURL: "https://hc.example",
		RootKey: root, Key: key, SealKey: make([]byte, 32), Enrolled: t0}
	if err := s.SaveDevice(d); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(filepath.Dir(path), DeviceKeyFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("device.key: %v %v", fi, err)
	}
	fk, err := ReadDeviceKey(s.KeyPath())
	if err != nil || !fk.Equal(key) {
		t.Fatalf("device.key holds another key: %v", err)
	}
	s.Close()
	s = openTest(t, path, c)
	got, ok, err := s.Device()
	if !ok || err != nil || got.ID != "dev-7" || got.Gate != "north" || !got.Key.Equal(key) || !got.RootKey.Equal(root) || !got.Enrolled.Equal(t0) {
		t.Fatalf("device = %+v %v %v", got, ok, err)
	}
}

func TestSealedManualEntryKeepsOnlyMaskedForm(t *testing.T) {
	s, _, path := newTest(t)
	provPub, provPriv, err := box.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	const name, id, phone = "欧阳娜娜", "310104195502281236", "13912345678"
	sealed, err := SealIdentity(provPub, name, id, phone)
	if err != nil {
		t.Fatal(err)
	}
	r := rec(1, t0, healthcode.VerdictPass)
	r.Manual, r.CodeHash, r.Sealed = true, healthcode.CodeHash{}, sealed
	r.Name, r.IDMasked = healthcode.MaskName(name), healthcode.MaskID(id)
	r.ManualReason = "elderly, no phone"
	mustAppend(t, s, r)
	got, _ := s.ByID(r.ID)
	if got.Record.Name != "欧**娜" || got.Record.IDMasked != "310***********1236" {
		t.Fatalf("stored %q %q", got.Record.Name, got.Record.IDMasked)
	}
	if td, _ := s.Today(); td.Manual != 1 {
		t.Fatalf("today manual = %d", td.Manual)
	}
	s.Close()
	raw, _ := os.ReadFile(path)
	for _, secret := range []string{name, id, phone} {
		if strings.Contains(string(raw), secret) {
			t.Fatalf("the data file holds %q in clear", secret)
		}
	}
	// The scanner cannot open it with a key of its own; the province can.
	otherPub, otherPriv, _ := box.GenerateKey(rand.Reader)
	if _, err := healthcode.OpenIdentity(got.Record.Sealed, otherPub, otherPriv); err == nil {
		t.Fatal("another key opened the sealed identity")
	}
	si, err := healthcode.OpenIdentity(got.Record.Sealed, provPub, provPriv)
	if err != nil || si != (SealedIdentity{Name: name, ID: id, Phone: phone}) {
		t.Fatalf("province opened %+v, %v", si, err)
	}
	if _, err := SealIdentity(nil, name, id, phone); err == nil {
		t.Fatal("sealed without a province key")
	}
}

func TestSnapshotWithLowerSequenceReplacesCache(t *testing.T) {
	s, _, _ := newTest(t)
	a, b := hash("a"), hash("b")
	if _, err := s.ApplyStatus([]healthcode.StatusEntry{{Hash: a, Colour: healthcode.Red, Updated: t0, Seq: 50}}, 50, t0); err != nil {
		t.Fatal(err)
	}
	// The server's database was restored: its snapshot has a lower sequence.
	if _, err := s.ReplaceStatus([]healthcode.StatusEntry{{Hash: b, Colour: healthcode.Yellow, Updated: t0, Seq: 3}}, 3, t0.Add(time.Hour)); err != nil {
		t.Fatalf("snapshot after restore refused: %v", err)
	}
	if _, ok := s.Lookup(a); ok {
		t.Error("entry from before the snapshot survived")
	}
	if e, ok := s.Lookup(b); !ok || e.Colour != healthcode.Yellow {
		t.Errorf("snapshot entry missing: %+v", e)
	}
	if seq, _ := s.StatusSeq(); seq != 3 {
		t.Errorf("status seq %d, want 3", seq)
	}
	if _, err := s.ApplyStatus(nil, 2, t0); !errors.Is(err, ErrRollback) {
		t.Errorf("a delta below the snapshot: %v", err)
	}
}
