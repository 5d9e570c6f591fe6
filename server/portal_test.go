package server

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"hcscan/healthcode"
	"hcscan/protocol"
)

func testCloseContactsAndPortal(t *testing.T, k storeKind) {
	e := newEnvOn(t, k, nil)
	north := e.enroll(t, "养老院", "north")
	south := e.enroll(t, "养老院", "south")
	other := e.enroll(t, "school", "north")
	at := e.clock.Now().Add(-2 * time.Hour).Truncate(time.Second)
	rec := func(d *device, gate string, offset time.Duration, name string) healthcode.Record {
		r := newRecord(d, gate, "李*", at.Add(offset))
		r.Name = name
		return r
	}
	check := rec(north, "north", 0, "张*三")
	check.Provisional = true
	near1 := rec(north, "north", 10*time.Minute, "王*五")
	near2 := rec(north, "north", -20*time.Minute, "赵*六")
	// A second device standing at the same gate counts too.
	sameGateOtherDevice := e.enroll(t, "养老院", "north")
	near3 := rec(sameGateOtherDevice, "north", 29*time.Minute, "钱*七")
	late := rec(north, "north", 45*time.Minute, "孙*八")
	otherGate := rec(south, "south", time.Minute, "周*九")
	otherInst := rec(other, "north", 0, "吴*十")
	e.upload(t, north, []healthcode.Record{check, near1, near2, late}, "")
	e.upload(t, sameGateOtherDevice, []healthcode.Record{near3}, "")
	e.upload(t, south, []healthcode.Record{otherGate}, "")
	e.upload(t, other, []healthcode.Record{otherInst}, "")

	_, got, err := e.srv.CloseContacts(t.Context(), "养老院", north.id, check.ID, 30*time.Minute)
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
	if _, _, err := e.srv.CloseContacts(t.Context(), "school", north.id, check.ID, 30*time.Minute); !errors.Is(err, ErrNotFound) {
		t.Errorf("another institution's record: %v", err)
	}
	e.srv.SetStatus(t.Context(), []StatusChange{{check.CodeHash, healthcode.Red}})

	// The portal, as a browser uses it.
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	get := func(path string) (int, string) {
		resp, err := browser.Get(e.http.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	post := func(path string, form url.Values) (int, string) {
		resp, err := browser.PostForm(e.http.URL+path, form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/portal/"); code != 200 || !strings.Contains(body, `name="token"`) {
		t.Fatalf("not logged in: %d, want the login form", code)
	}
	if code, _ := post("/portal/login", url.Values{"token": {"WRONG"}}); code != 401 {
		t.Errorf("bad portal token: %d", code)
	}
	// An enrolment token is not a portal login.
	if code, _ := post("/portal/login", url.Values{"token": {e.token(t, "养老院", "x")}}); code != 401 {
		t.Errorf("enrolment token logged in: %d", code)
	}
	login, _, err := e.srv.NewToken(t.Context(), TokenPortal, "养老院", "")
	if err != nil {
		t.Fatal(err)
	}
	code, home := post("/portal/login", url.Values{"token": {strings.ToLower(login)}})
	if code != 200 {
		t.Fatalf("login: %d", code)
	}
	for _, want := range []string{"养老院", "张*三", "王*五", "110***********1234", north.id, south.id, "李*", "north", "south", `class="red"`} {
		if !strings.Contains(home, want) {
			t.Errorf("home page lacks %q", want)
		}
	}
	if strings.Contains(home, "吴*十") || strings.Contains(home, other.id) {
		t.Error("home page shows another institution's records or devices")
	}
	if !strings.Contains(home, "Alerts") || strings.Count(home, "close contacts</a>") < 2 {
		t.Error("home page lacks the alert's close-contact link")
	}
	code, page := get("/portal/contacts?device=" + north.id + "&record=" + check.ID + "&window=30")
	if code != 200 || !strings.Contains(page, `<p id="count">3 people</p>`) || strings.Contains(page, "孙*八") || strings.Contains(page, "周*九") {
		t.Errorf("contacts page: %d\n%s", code, page)
	}
	if code, _ := get("/portal/contacts?device=" + other.id + "&record=" + otherInst.ID); code != 404 {
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
	resp, data := e.post(t, protocol.PathEnroll, "application/json", body)
	var rep protocol.EnrollReply
	if json.Unmarshal(data, &rep); resp.StatusCode != 200 || rep.Gate != "east" || rep.Institution != "养老院" {
		t.Errorf("enrol with the portal's token: %d %s", resp.StatusCode, data)
	}

	// A lost laptop is disabled from the portal: its requests get 403.
	if code, _ := post("/portal/devices", url.Values{"device": {north.id}, "action": {"disable"}, "csrf": {csrf[1]}}); code != 200 {
		t.Fatalf("disable: %d", code)
	}
	resp, data = e.do(t, north, call{method: "GET", uri: protocol.PathTrustList})
	wantError(t, "disabled device", resp, data, 403, protocol.ErrDeviceDisabled)
	post("/portal/devices", url.Values{"device": {north.id}, "action": {"enable"}, "csrf": {csrf[1]}})
	if resp, data = e.do(t, north, call{method: "GET", uri: protocol.PathTrustList}); resp.StatusCode != 200 {
		t.Errorf("enabled again: %d %s", resp.StatusCode, data)
	}
	if code, _ := post("/portal/devices", url.Values{"device": {other.id}, "action": {"disable"}, "csrf": {csrf[1]}}); code != 404 {
		t.Errorf("disabling another institution's device: %d", code)
	}

	if code, _ := post("/portal/logout", url.Values{"csrf": {csrf[1]}}); code != 200 {
		t.Errorf("logout: %d", code)
	}
	if _, body := get("/portal/"); !strings.Contains(body, `name="token"`) {
		t.Error("still logged in after logout")
	}
}

func TestAdminAPI(t *testing.T) {
	e := newEnv(t, nil)
	secret := NewAdminSecret()
	admin := httptest.NewServer(e.srv.AdminHandler(secret))
	defer admin.Close()
	if err := WriteAdminFiles(e.dir, strings.TrimPrefix(admin.URL, "http://"), secret); err != nil {
		t.Fatal(err)
	}
	var tr AdminTokenReply
	if err := AdminCall(context.Background(), e.dir, AdminPathToken, AdminTokenRequest{Kind: TokenEnroll, Institution: "clinic", Gate: "door"}, &tr); err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.Store().Token(t.Context(), hashToken(tr.Token)); err != nil {
		t.Errorf("token made through the admin API is not stored: %v", err)
	}
	var sr AdminStatusReply
	h := hashOf(7)
	if err := AdminCall(context.Background(), e.dir, AdminPathStatus, AdminStatusRequest{Changes: []StatusChange{{h, healthcode.Red}}}, &sr); err != nil || sr.Seq != 1 {
		t.Fatalf("status: %+v %v", sr, err)
	}
	if st, ok, _ := e.srv.Store().Status(t.Context(), h); !ok || st.Colour != healthcode.Red {
		t.Errorf("status not set: %+v", st)
	}
	// A wrong secret is refused.
	WriteAdminFiles(e.dir, strings.TrimPrefix(admin.URL, "http://"), "wrong")
	err := AdminCall(context.Background(), e.dir, AdminPathToken, AdminTokenRequest{Kind: TokenEnroll, Institution: "clinic", Gate: "door"}, &tr)
	if err == nil || errors.Is(err, ErrAdminNotRunning) || !strings.Contains(err.Error(), "unauthorized") {
		t.Errorf("wrong secret: %v", err)
	}
	// No server there.
	RemoveAdminFiles(e.dir)
	if err := AdminCall(context.Background(), e.dir, AdminPathToken, AdminTokenRequest{}, &tr); !errors.Is(err, ErrAdminNotRunning) {
		t.Errorf("no server: %v", err)
	}
}

func testRecordsNewestFirstInPages(t *testing.T, k storeKind) {
	e := newEnvOn(t, k, nil)
	d := e.enroll(t, "clinic", "door")
	at := e.clock.Now().Add(-time.Hour)
	var recs []healthcode.Record
	for i := 0; i < 5; i++ {
		recs = append(recs, newRecord(d, []string{"door", "back"}[i%2], "a", at.Add(time.Duration(i)*time.Minute)))
	}
	e.upload(t, d, recs, "")
	page1, _ := e.srv.Store().Records(t.Context(), RecordQuery{Institution: "clinic", Limit: 2})
	page2, _ := e.srv.Store().Records(t.Context(), RecordQuery{Institution: "clinic", Limit: 2, Before: When(&page1[1].Record)})
	got := []string{}
	for _, r := range append(page1, page2...) {
		got = append(got, r.ID)
	}
	want := []string{recs[4].ID, recs[3].ID, recs[2].ID, recs[1].ID}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("pages %v, want %v", got, want)
	}
	back, _ := e.srv.Store().Records(t.Context(), RecordQuery{Institution: "clinic", Gate: "back"})
	if len(back) != 2 || back[0].ID != recs[3].ID {
		t.Errorf("gate filter: %d records", len(back))
	}
}
