package storetest

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hcscan/healthcode"
	"hcscan/protocol"
	"hcscan/server"
	"hcscan/store"
	hsync "hcscan/sync"
)

// testSealedIdentity: a scanner enrolled with the real client gets the
// province's sealing key; a manual entry sealed with it is uploaded; the
// scanner's files hold neither the typed identity nor a key that opens
// it; a tracing login opens it in the portal, and the opening is audited.
func testSealedIdentity(t *testing.T, open Open) {
	e := NewEnv(t, open, Options{})
	scannerDir := t.TempDir()
	st, err := store.Open(filepath.Join(scannerDir, "hcscan.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	dev, err := hsync.Enroll(context.Background(), st, hsync.EnrollOptions{ServerURL: e.HTTP.URL, Token: e.Token(t, "养老院", "north")})
	if err != nil {
		t.Fatal(err)
	}
	saved, ok, err := st.Device()
	if err != nil || !ok || !bytes.Equal(saved.SealKey, e.Srv.Keys().SealPublic()) {
		t.Fatalf("the scanner did not keep the province's sealing key: %x vs %x (%v)", saved.SealKey, e.Srv.Keys().SealPublic(), err)
	}

	const fullName, fullID, phone = "张小三", "110101195001011234", "13800138000"
	var pub [32]byte
	copy(pub[:], saved.SealKey)
	sealed, err := store.SealIdentity(&pub, fullName, fullID, phone)
	if err != nil {
		t.Fatal(err)
	}
	at := e.Clock.Now().Add(-time.Hour)
	manual := healthcode.Record{DeviceID: dev.ID, Institution: dev.Institution, Gate: dev.Gate, Operator: "李*",
		Time: at, CorrectedTime: at, Manual: true, ScannedColour: healthcode.ColourUnknown, EffectiveColour: healthcode.ColourUnknown,
		Verdict: healthcode.VerdictPass, Temperature: 364, Disposition: healthcode.DispositionPass,
		Name: "张*三", IDMasked: "110***********1234", Sealed: sealed, ManualReason: "no phone"}
	if err := st.Append(context.Background(), &manual); err != nil {
		t.Fatal(err)
	}
	pending, err := st.PendingBatch(10)
	if err != nil || len(pending) != 1 {
		t.Fatalf("outbox: %d records, %v", len(pending), err)
	}
	d := &Device{ID: dev.ID, Key: saved.Key, Rep: protocol.EnrollReply{Institution: dev.Institution}}
	if rr := e.Upload(t, d, pending, ""); rr.Stored != 1 {
		t.Fatalf("upload: %+v", rr)
	}
	neighbour := NewRecord(d, "north", "李*", at.Add(5*time.Minute))
	e.Upload(t, d, []healthcode.Record{neighbour}, "")
	st.Close()

	// The scanner cannot open it: its files hold no typed identity and no
	// private sealing key, and its own key does not open the box.
	sealPriv := e.Srv.Keys().Seal.Bytes()
	files, _ := filepath.Glob(filepath.Join(scannerDir, "*"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, secret := range [][]byte{[]byte(fullID), []byte(phone), []byte(fullName), sealPriv} {
			if bytes.Contains(b, secret) {
				t.Errorf("scanner file %s holds %q in clear", filepath.Base(f), secret)
			}
		}
	}
	var devPriv [32]byte
	copy(devPriv[:], saved.Key.Seed())
	if _, err := healthcode.OpenIdentity(sealed, &pub, &devPriv); err == nil {
		t.Error("the device's own key opened the sealed identity")
	}

	// An institution login sees that the record has a sealed identity but
	// cannot open it.
	inst := NewBrowser(t, e.HTTP.URL)
	inst.Login(e, server.TokenPortal, "养老院")
	_, home := inst.Get("/portal/records")
	if !strings.Contains(home, "sealed identity") || strings.Contains(home, fullID) {
		t.Errorf("home page: marks the sealed identity %v, shows the full ID %v", strings.Contains(home, "sealed identity"), strings.Contains(home, fullID))
	}
	contacts := "/portal/contacts?device=" + d.ID + "&record=" + pending[0].ID + "&window=30"
	code, page := inst.Get(contacts)
	if code != 200 || strings.Contains(page, "Open sealed identity") || !strings.Contains(page, "tracing staff can open them") {
		t.Errorf("institution's contacts page: %d, offers to open: %v", code, strings.Contains(page, "Open sealed identity"))
	}
	if code, _ := inst.Post("/portal/identity", url.Values{"device": {d.ID}, "record": {pending[0].ID}, "reason": {"curious"}}); code != 403 {
		t.Errorf("institution login opened an identity: %d, want 403", code)
	}

	// A tracing login opens it, with a reason, and the opening is listed.
	tracer := NewBrowser(t, e.HTTP.URL)
	tracer.Login(e, server.TokenTracing, "养老院")
	code, page = tracer.Get(contacts)
	if code != 200 || strings.Count(page, `class="open-identity"`) != 1 {
		t.Fatalf("tracing contacts page: %d, %d open forms, want 1", code, strings.Count(page, `class="open-identity"`))
	}
	if code, _ := tracer.Post("/portal/identity", url.Values{"device": {d.ID}, "record": {pending[0].ID}, "reason": {"  "}}); code != 400 {
		t.Errorf("opening without a reason: %d, want 400", code)
	}
	if code, _ := tracer.Post("/portal/identity", url.Values{"device": {d.ID}, "record": {neighbour.ID}, "reason": {"case 17"}}); code != 400 {
		t.Errorf("opening a record with nothing sealed: %d, want 400", code)
	}
	if a, _ := e.Srv.Store().Audit(t.Context(), "养老院", 10); len(a) != 0 {
		t.Fatalf("refused openings were audited: %+v", a)
	}
	code, page = tracer.Post("/portal/identity", url.Values{"device": {d.ID}, "record": {pending[0].ID}, "reason": {"case 2024-17 close contact"}})
	for _, want := range []string{fullName, fullID, phone} {
		if code != 200 || !strings.Contains(page, want) {
			t.Errorf("opened identity page: %d, lacks %q", code, want)
		}
	}
	audit, err := e.Srv.Store().Audit(t.Context(), "养老院", 10)
	if err != nil || len(audit) != 1 || audit[0].Reason != "case 2024-17 close contact" || audit[0].RecordID != pending[0].ID ||
		!strings.HasPrefix(audit[0].Actor, "tracing ") || audit[0].Time.IsZero() {
		t.Fatalf("audit list: %+v %v", audit, err)
	}
	_, home = inst.Get("/portal/audit")
	if !strings.Contains(home, "case 2024-17 close contact") || !strings.Contains(home, audit[0].Actor) {
		t.Error("the institution's audit page does not list the opening")
	}
	// Another institution's tracer cannot reach the record.
	other := NewBrowser(t, e.HTTP.URL)
	other.Login(e, server.TokenTracing, "school")
	if code, _ := other.Post("/portal/identity", url.Values{"device": {d.ID}, "record": {pending[0].ID}, "reason": {"x"}}); code != 404 {
		t.Errorf("another institution's tracer: %d, want 404", code)
	}
	if a, _ := e.Srv.Store().Audit(t.Context(), "school", 10); len(a) != 0 {
		t.Errorf("audit of another institution: %+v", a)
	}
}
