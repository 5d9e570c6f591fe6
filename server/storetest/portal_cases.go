package storetest

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"hcscan/healthcode"
	"hcscan/protocol"
	"hcscan/server"
)

func testCloseContactsAndPortal(t *testing.T, open Open) {
	e := NewEnv(t, open, Options{})
	north := e.Enroll(t, "养老院", "north")
	south := e.Enroll(t, "养老院", "south")
	other := e.Enroll(t, "school", "north")
	at := e.Clock.Now().Add(-2 * time.Hour).Truncate(time.Second)
	rec := func(d *Device, gate string, offset time.Duration, name string) healthcode.Record {
		r := NewRecord(d, gate, "李*", at.Add(offset))
		r.Name = name
		return r
	}
	check := rec(north, "north", 0, "张*三")
	check.Provisional = true
	near1 := rec(north, "north", 10*time.Minute, "王*五")
	near2 := rec(north, "north", -20*time.Minute, "赵*六")
	// A second device standing at the same gate counts too.
	sameGateOtherDevice := e.Enroll(t, "养老院", "north")
	near3 := rec(sameGateOtherDevice, "north", 29*time.Minute, "钱*七")
	late := rec(north, "north", 45*time.Minute, "孙*八")
	otherGate := rec(south, "south", time.Minute, "周*九")
	otherInst := rec(other, "north", 0, "吴*十")
	e.Upload(t, north, []healthcode.Record{check, near1, near2, late}, "")
	e.Upload(t, sameGateOtherDevice, []healthcode.Record{near3}, "")
	e.Upload(t, south, []healthcode.Record{otherGate}, "")
	e.Upload(t, other, []healthcode.Record{otherInst}, "")

	_, got, err := e.Srv.CloseContacts(t.Context(), "养老院", north.ID, check.ID, 30*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range got {
		names = append(names, r.Name)
	}
	sort.Strings(names)
	if want := []string{"王*五", "赵*六", "钱*七"}; strings.Join(names, ",") != strings.Join(want, ",") {
		t.Fatalf("close contacts %v, want %v", names, want)
	}
	if _, _, err := e.Srv.CloseContacts(t.Context(), "school", north.ID, check.ID, 30*time.Minute); !errors.Is(err, server.ErrNotFound) {
		t.Errorf("another institution's record: %v", err)
	}
	e.Srv.SetStatus(t.Context(), []server.StatusChange{{Hash: check.CodeHash, Colour: healthcode.Red}})

	// The portal, as a browser uses it.
	b := NewBrowser(t, e.HTTP.URL)
	get := b.Get
	post := b.Post
	if code, body := get("/portal/"); code != 200 || !strings.Contains(body, `name="token"`) {
		t.Fatalf("not logged in: %d, want the login form", code)
	}
	if code, _ := post("/portal/login", url.Values{"token": {"WRONG"}}); code != 401 {
		t.Errorf("bad portal token: %d", code)
	}
	// An enrolment token is not a portal login.
	if code, _ := post("/portal/login", url.Values{"token": {e.Token(t, "养老院", "x")}}); code != 401 {
		t.Errorf("enrolment token logged in: %d", code)
	}
	login, _, err := e.Srv.NewToken(t.Context(), server.TokenPortal, "养老院", "")
	if err != nil {
		t.Fatal(err)
	}
	code, home := post("/portal/login", url.Values{"token": {strings.ToLower(login)}})
	if code != 200 {
		t.Fatalf("login: %d", code)
	}
	_, records := get("/portal/records")
	_, gates := get("/portal/gates")
	for _, want := range []string{"养老院", "张*三", "王*五", "110***********1234", "李*", "north", "south"} {
		if !strings.Contains(records, want) {
			t.Errorf("records page lacks %q", want)
		}
	}
	for _, want := range []string{north.ID, south.ID} {
		if !strings.Contains(gates, want) {
			t.Errorf("gates page lacks device %s", want)
		}
	}
	if strings.Contains(records+gates, "吴*十") || strings.Contains(records+gates, other.ID) {
		t.Error("the portal shows another institution's records or devices")
	}
	if !strings.Contains(home, "Alerts") || !strings.Contains(home, "close contacts</a>") || !strings.Contains(home, `class="red"`) {
		t.Error("home page lacks the alert's close-contact link")
	}
	code, page := get("/portal/contacts?device=" + north.ID + "&record=" + check.ID + "&window=30")
	if code != 200 || !strings.Contains(page, `id="count">3 people`) || strings.Contains(page, "孙*八") || strings.Contains(page, "周*九") {
		t.Errorf("contacts page: %d\n%s", code, page)
	}
	if code, _ := get("/portal/contacts?device=" + other.ID + "&record=" + otherInst.ID); code != 404 {
		t.Errorf("another institution's check: %d, want 404", code)
	}

	// Making an enrolment token needs the form's CSRF token.
	if code, _ := post("/portal/tokens", url.Values{"gate": {"east"}}); code != 403 {
		t.Errorf("token without csrf: %d", code)
	}
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(home)
	if csrf == nil {
		t.Fatal("no csrf field")
	}
	code, page = post("/portal/tokens", url.Values{"gate": {"east"}, "csrf": {csrf[1]}})
	m := regexp.MustCompile(`id="new-token">([A-Z2-7-]+)<`).FindStringSubmatch(page)
	if code != 200 || m == nil {
		t.Fatalf("new token page: %d", code)
	}
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	body, _ := json.Marshal(protocol.NewEnrollRequest(m[1], key, ""))
	resp, data := e.Post(t, protocol.PathEnroll, "application/json", body)
	var rep protocol.EnrollReply
	if json.Unmarshal(data, &rep); resp.StatusCode != 200 || rep.Gate != "east" || rep.Institution != "养老院" {
		t.Errorf("enrol with the portal's token: %d %s", resp.StatusCode, data)
	}

	// A lost laptop is disabled from the portal: its requests get 403.
	if code, _ := post("/portal/devices", url.Values{"device": {north.ID}, "action": {"disable"}, "csrf": {csrf[1]}}); code != http.StatusOK {
		t.Fatalf("disable: %d", code)
	}
	resp, data = e.Do(t, north, Call{Method: "GET", URI: protocol.PathTrustList})
	WantError(t, "disabled device", resp, data, 403, protocol.ErrDeviceDisabled)
	post("/portal/devices", url.Values{"device": {north.ID}, "action": {"enable"}, "csrf": {csrf[1]}})
	if resp, data = e.Do(t, north, Call{Method: "GET", URI: protocol.PathTrustList}); resp.StatusCode != 200 {
		t.Errorf("enabled again: %d %s", resp.StatusCode, data)
	}
	if code, _ := post("/portal/devices", url.Values{"device": {other.ID}, "action": {"disable"}, "csrf": {csrf[1]}}); code != 404 {
		t.Errorf("disabling another institution's device: %d", code)
	}

	if code, _ := post("/portal/logout", url.Values{"csrf": {csrf[1]}}); code != 200 {
		t.Errorf("logout: %d", code)
	}
	if _, body := get("/portal/"); !strings.Contains(body, `name="token"`) {
		t.Error("still logged in after logout")
	}
}

func testRecordsNewestFirstInPages(t *testing.T, open Open) {
	e := NewEnv(t, open, Options{})
	doorDev, backDev := e.Enroll(t, "clinic", "door"), e.Enroll(t, "clinic", "back")
	at := e.Clock.Now().Add(-time.Hour)
	var recs []healthcode.Record
	for i := 0; i < 5; i++ {
		d := []*Device{doorDev, backDev}[i%2]
		recs = append(recs, NewRecord(d, d.Rep.Gate, "a", at.Add(time.Duration(i)*time.Minute)))
		e.Upload(t, d, recs[i:], "")
	}
	page1, _ := e.Srv.Store().Records(t.Context(), server.RecordQuery{Institution: "clinic", Limit: 2})
	page2, _ := e.Srv.Store().Records(t.Context(), server.RecordQuery{Institution: "clinic", Limit: 2, Before: server.When(&page1[1].Record)})
	got := []string{}
	for _, r := range append(page1, page2...) {
		got = append(got, r.ID)
	}
	want := []string{recs[4].ID, recs[3].ID, recs[2].ID, recs[1].ID}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("pages %v, want %v", got, want)
	}
	back, _ := e.Srv.Store().Records(t.Context(), server.RecordQuery{Institution: "clinic", Gate: "back"})
	if len(back) != 2 || back[0].ID != recs[3].ID {
		t.Errorf("gate filter: %d records", len(back))
	}
}

// testSessionsExpire: a portal session ends after its time, and Prune
// drops it (and old nonces: a nonce may come again once forgotten).
func testSessionsExpire(t *testing.T, open Open) {
	e := NewEnv(t, open, Options{})
	p := NewBrowser(t, e.HTTP.URL)
	p.Login(e, server.TokenPortal, "clinic")
	if _, body := p.Get("/portal/"); !strings.Contains(body, `class="who">clinic`) || strings.Contains(body, `name="token"`) {
		t.Fatal("not logged in")
	}
	st := e.Srv.Store()
	now := e.Clock.Now()
	h := server.SessionHash{1, 2, 3}
	if err := st.PutSession(t.Context(), server.Session{Hash: h, Institution: "clinic", Kind: server.TokenPortal, Actor: "portal X", CSRF: "c", Expires: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if got, err := st.Session(t.Context(), h, now); err != nil || got.Institution != "clinic" || got.Actor != "portal X" || got.CSRF != "c" {
		t.Fatalf("session: %+v %v", got, err)
	}
	if _, err := st.Session(t.Context(), h, now.Add(2*time.Hour)); !errors.Is(err, server.ErrNotFound) {
		t.Errorf("expired session: %v", err)
	}
	fresh, err := st.CheckNonce(t.Context(), "dev", "n1", now.Add(time.Minute), now)
	if err != nil || !fresh {
		t.Fatalf("new nonce: %v %v", fresh, err)
	}
	if fresh, _ := st.CheckNonce(t.Context(), "dev", "n1", now.Add(time.Minute), now); fresh {
		t.Error("a nonce seen before is fresh")
	}
	if fresh, _ := st.CheckNonce(t.Context(), "other", "n1", now.Add(time.Minute), now); !fresh {
		t.Error("another device's nonce is a replay")
	}
	e.Clock.Add(13 * time.Hour)
	if err := st.Prune(t.Context(), e.Clock.Now().Add(-48*time.Hour), e.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Session(t.Context(), h, now); !errors.Is(err, server.ErrNotFound) {
		t.Errorf("session after prune: %v", err)
	}
	if code, body := p.Get("/portal/"); code != 200 || !strings.Contains(body, `name="token"`) {
		t.Error("a 12-hour portal session still works after 13 hours")
	}
	if fresh, _ := st.CheckNonce(t.Context(), "dev", "n1", e.Clock.Now().Add(time.Minute), e.Clock.Now()); !fresh {
		t.Error("a nonce past its time is still remembered")
	}
}
