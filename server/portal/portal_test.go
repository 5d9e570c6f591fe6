package portal_test

import (
	"bytes"
	"encoding/csv"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"hcscan/healthcode"
	"hcscan/server"
	"hcscan/server/boltstore"
	"hcscan/server/portal"
	"hcscan/server/storetest"
)

func openBolt(t testing.TB, o storetest.Options) server.Store {
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "server.db"), boltstore.Options{StatusHistory: o.StatusHistory})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// TestSessionCookieAndEscaping: the session cookie (HttpOnly,
// SameSite=Strict, only for /portal/), CSRF tokens on every form, and
// text from scanners (names, gates, institution) escaped, never markup.
func TestSessionCookieAndEscaping(t *testing.T) {
	e := storetest.NewEnv(t, openBolt, storetest.Options{})
	const inst = `<script>alert("inst")</script>`
	const gate = `"><b>gate</b>`
	d := e.Enroll(t, inst, gate)
	r := storetest.NewRecord(d, gate, `<i>op</i>`, e.Clock.Now())
	r.Name = `<img src=x onerror=alert(1)>`
	if rr := e.Upload(t, d, []healthcode.Record{r}, ""); rr.Stored != 1 {
		t.Fatalf("upload: %+v", rr)
	}
	for _, path := range []string{"/portal/", "/portal/records", "/portal/contacts?device=" + d.ID + "&record=" + r.ID} {
		resp, err := noRedirect.Get(e.HTTP.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/portal/login" {
			t.Errorf("%s without a session: %d to %q", path, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	tok, _, err := e.Srv.NewToken(t.Context(), server.TokenPortal, inst, "")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := noRedirect.PostForm(e.HTTP.URL+"/portal/login", url.Values{"token": {tok}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cookies := resp.Cookies()
	if resp.StatusCode != http.StatusSeeOther || len(cookies) != 1 {
		t.Fatalf("login: %d, cookies %v", resp.StatusCode, cookies)
	}
	if c := cookies[0]; c.Name != "hcportal" || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/portal/" || len(c.Value) < 40 {
		t.Errorf("session cookie %+v: want HttpOnly, SameSite=Strict, Path=/portal/, a long random value", c)
	}
	b := storetest.NewBrowser(t, e.HTTP.URL)
	b.Login(e, server.TokenPortal, inst)
	for _, path := range []string{"/portal/", "/portal/records", "/portal/gates", "/portal/contacts?device=" + d.ID + "&record=" + r.ID + "&window=5"} {
		code, page := b.Get(path)
		if code != 200 {
			t.Fatalf("%s: %d", path, code)
		}
		for _, raw := range []string{inst, r.Name, gate, `<i>op</i>`} {
			if strings.Contains(page, raw) {
				t.Errorf("%s holds %q unescaped", path, raw)
			}
		}
		if n, m := strings.Count(page, `method="post"`), strings.Count(page, `name="csrf" value="`+b.CSRF+`"`); n == 0 || n != m {
			t.Errorf("%s: %d POST forms, %d with the session's CSRF token", path, n, m)
		}
	}
	_, page := b.Get("/portal/records")
	for _, escaped := range []string{"&lt;script&gt;", "&lt;img src=x onerror=alert(1)&gt;", "&lt;i&gt;op&lt;/i&gt;", "&#34;&gt;&lt;b&gt;gate&lt;/b&gt;"} {
		if !strings.Contains(page, escaped) {
			t.Errorf("records page lacks %q", escaped)
		}
	}
	for _, form := range []url.Values{{"gate": {"east"}}, {"gate": {"east"}, "csrf": {"forged"}}} {
		resp, err := b.C.PostForm(e.HTTP.URL+"/portal/tokens", form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("new token with CSRF %q: %d, want 403", form.Get("csrf"), resp.StatusCode)
		}
	}
	if toks, _ := e.Srv.Store().Tokens(t.Context(), inst); len(toks) != 3 { // the enrolment token and two logins
		t.Errorf("a refused form made a token: %d tokens", len(toks))
	}
}

// TestHeadersAndErrorPagesOnEveryRoute: every answer of the server, page,
// API, static file or error, logged in or not, carries the CSP, frame
// protection, nosniff and referrer policy, and HSTS on TLS; errors of the
// portal are HTML pages in the person's language, not JSON or text.
func TestHeadersAndErrorPagesOnEveryRoute(t *testing.T) {
	e := storetest.NewEnv(t, openBolt, storetest.Options{})
	d := e.Enroll(t, "school", "north")
	e.Upload(t, d, []healthcode.Record{storetest.NewRecord(d, "north", "a", e.Clock.Now())}, "")
	b := storetest.NewBrowser(t, e.HTTP.URL)
	b.Login(e, server.TokenPortal, "school")
	tlsSrv := httptest.NewTLSServer(storetest.Handler(t, e.Srv))
	defer tlsSrv.Close()
	check := func(what string, resp *http.Response, tls bool) {
		t.Helper()
		h := resp.Header
		for k, want := range map[string]string{
			"Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
			"X-Frame-Options":         "DENY",
			"X-Content-Type-Options":  "nosniff",
			"Referrer-Policy":         "no-referrer",
		} {
			if h.Get(k) != want {
				t.Errorf("%s: %s %q, want %q", what, k, h.Get(k), want)
			}
		}
		if got := h.Get("Strict-Transport-Security"); (got != "") != tls {
			t.Errorf("%s: HSTS %q on TLS %v", what, got, tls)
		}
	}
	paths := []string{"/", "/portal/login", "/portal/register", "/portal/", "/portal/records", "/portal/records.csv", "/portal/contacts",
		"/portal/contacts?device=x&record=y&window=abc", "/portal/gates", "/portal/logins", "/portal/audit", "/portal/province",
		"/portal/static/portal.css", "/portal/nothing", "/nothing", "/v1/trust-list", "/v1/nothing", "/portal/lang?to=en&back=/portal/"}
	p, err := portal.New(portal.Config{Store: e.Srv.Store(), Province: e.Srv})
	if err != nil {
		t.Fatal(err)
	}
	routes := portal.GetPaths(p)
	if len(routes) < 10 {
		t.Fatalf("only %d GET routes", len(routes))
	}
	paths = append(paths, routes...) // every page of the route table, whoever added it
	for _, path := range paths {
		for _, c := range []*http.Client{b.C, noRedirect} {
			resp, err := c.Get(e.HTTP.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			check(path, resp, false)
		}
		resp, err := tlsSrv.Client().Get(tlsSrv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		check("TLS "+path, resp, true)
	}
	for _, c := range []struct {
		method, path string
		status       int
		text         string
	}{
		{"GET", "/portal/nothing", 404, "There is no such page."},
		{"GET", "/nothing", 404, "没有这个页面"}, // the portal's cookies are not sent outside /portal/
		{"DELETE", "/portal/records", 405, "does not take that kind of request"},
		{"GET", "/portal/contacts?device=x&record=y&window=abc", 400, `not &#34;abc&#34;`},
		{"GET", "/portal/contacts?device=x&record=y&window=2000", 400, "from 1 to 1440"},
		{"GET", "/portal/contacts?device=x&record=y&window=0", 400, "from 1 to 1440"},
		{"GET", "/portal/contacts?device=x&record=y&window=30", 404, "no such check"},
		{"GET", "/portal/records?from=2026-13-40", 400, "must be a date"},
		{"GET", "/portal/records?verdict=maybe", 400, "cannot be"},
		{"GET", "/portal/records?from=2026-05-02&to=2026-05-01", 400, "before the start date"},
		{"POST", "/portal/devices", 404, "no such device"},
	} {
		req, _ := http.NewRequest(c.method, e.HTTP.URL+c.path, strings.NewReader(url.Values{"csrf": {b.CSRF}, "device": {"x"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := b.C.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		menu := strings.Contains(string(body), `<nav class="menu">`) || !strings.HasPrefix(c.path, "/portal/")
		if resp.StatusCode != c.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(body), c.text) || !menu {
			t.Errorf("%s %s: %d %s, want %d with %q in an HTML page with the menu\n%s", c.method, c.path, resp.StatusCode, resp.Header.Get("Content-Type"), c.status, c.text, body)
		}
	}
	// Logged out, an unknown page is HTML in Chinese by default.
	resp, err := http.Get(e.HTTP.URL + "/portal/nothing")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 404 || !strings.Contains(string(body), "没有这个页面") || !strings.Contains(string(body), `<meta name="viewport"`) {
		t.Errorf("unknown page logged out: %d\n%s", resp.StatusCode, body)
	}
}

// TestLanguageSwitchIsRemembered: the switch sets a cookie for a year and
// comes back to the page (never to another site); pages follow it.
func TestLanguageSwitchIsRemembered(t *testing.T) {
	e := storetest.NewEnv(t, openBolt, storetest.Options{})
	resp, err := noRedirect.Get(e.HTTP.URL + "/portal/lang?to=zh&back=" + url.QueryEscape("/portal/records?gate=北门"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc, _ := url.QueryUnescape(resp.Header.Get("Location")); resp.StatusCode != 303 || loc != "/portal/records?gate=北门" || len(resp.Cookies()) != 1 || resp.Cookies()[0].MaxAge < 300*24*3600 {
		t.Errorf("switch: %d to %q, cookies %v", resp.StatusCode, resp.Header.Get("Location"), resp.Cookies())
	}
	for _, back := range []string{"//evil.example/x", "https://evil.example/portal/", "/v1/records", "javascript:alert(1)"} {
		resp, err := noRedirect.Get(e.HTTP.URL + "/portal/lang?to=en&back=" + url.QueryEscape(back))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.Header.Get("Location") != "/portal/" {
			t.Errorf("back=%s: to %q", back, resp.Header.Get("Location"))
		}
	}
	b := storetest.NewBrowser(t, e.HTTP.URL) // English
	if _, page := b.Get("/portal/login"); !strings.Contains(page, "Login token") || !strings.Contains(page, `lang="en"`) {
		t.Error("English login page is not English")
	}
	b.Get("/portal/lang?to=zh&back=/portal/login")
	if _, page := b.Get("/portal/login"); !strings.Contains(page, "登录令牌") || !strings.Contains(page, `lang="zh-CN"`) || !strings.Contains(page, ">English</a>") {
		t.Error("after the switch the login page is not Chinese")
	}
}

// TestLoginRateLimit: wrong logins from one client are slowed down (429
// with Retry-After and a log line); the right token works again after
// the wait, and a wrong login from another client is not blocked by the
// first one's tries.
func TestLoginRateLimit(t *testing.T) {
	var logs bytes.Buffer
	e := storetest.NewEnv(t, openBolt, storetest.Options{})
	p, err := portal.New(portal.Config{Store: e.Srv.Store(), Province: e.Srv, Now: e.Srv.Now, Logger: newLogger(&logs),
		Limits: portal.LoginLimits{PerClientEvery: 3 * time.Second, PerClientBurst: 5, PerPrefixEvery: time.Second, PerPrefixBurst: 100}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e.Srv.Handler(p))
	defer srv.Close()
	good, _, _ := e.Srv.NewToken(t.Context(), server.TokenPortal, "school", "")
	try := func(tok string) *http.Response {
		resp, err := noRedirect.PostForm(srv.URL+"/portal/login", url.Values{"token": {tok}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	codes := []int{}
	for i := range 8 {
		codes = append(codes, try("WRNG-"+strconv.Itoa(i)).StatusCode)
	}
	if fmtInts(codes) != "401 401 401 401 401 429 429 429" {
		t.Errorf("wrong logins: %v, want 5×401 then 429", codes)
	}
	resp := try(good)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Errorf("right token while slowed down: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if !strings.Contains(logs.String(), "portal login slowed down") {
		t.Error("no log line for the slowed-down client")
	}
	wait, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
	if wait < 1 || wait > 4 {
		t.Errorf("Retry-After %d s: the real user must not wait long", wait)
	}
	e.Clock.Add(time.Duration(wait) * time.Second)
	if resp := try(good); resp.StatusCode != 303 {
		t.Errorf("right token after the wait: %d", resp.StatusCode)
	}
}

func fmtInts(v []int) string {
	var s []string
	for _, x := range v {
		s = append(s, strconv.Itoa(x))
	}
	return strings.Join(s, " ")
}

// TestRolesAndRevocation: the admin makes a records viewer's login in the
// portal; the viewer reads records but makes no tokens and sees no logins;
// a tracing login makes no tokens either; revoking the viewer's login ends
// its session at once, and the token logs in no more.
func TestRolesAndRevocation(t *testing.T) {
	e := storetest.NewEnv(t, openBolt, storetest.Options{})
	admin := storetest.NewBrowser(t, e.HTTP.URL)
	admin.Login(e, server.TokenPortal, "school")
	code, page := admin.Post("/portal/logins", url.Values{"kind": {"viewer"}})
	m := regexp.MustCompile(`id="new-token">([A-Z2-7-]+)<`).FindStringSubmatch(page)
	if code != 200 || m == nil {
		t.Fatalf("make a viewer login: %d", code)
	}
	viewer := storetest.NewBrowser(t, e.HTTP.URL)
	if code, _ := viewer.Post("/portal/login", url.Values{"token": {m[1]}}); code != 200 {
		t.Fatalf("viewer login: %d", code)
	}
	_, home := viewer.Get("/portal/")
	viewer.CSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(home)[1]
	if !strings.Contains(home, "records viewer") || strings.Contains(home, `href="/portal/logins"`) {
		t.Error("viewer's menu offers the logins page, or the role is not shown")
	}
	for path, want := range map[string]int{"/portal/records": 200, "/portal/records.csv": 200, "/portal/gates": 200, "/portal/logins": 403, "/portal/province": 403} {
		if code, _ := viewer.Get(path); code != want {
			t.Errorf("viewer GET %s: %d, want %d", path, code, want)
		}
	}
	for _, path := range []string{"/portal/tokens", "/portal/logins", "/portal/devices"} {
		if code, _ := viewer.Post(path, url.Values{"gate": {"east"}, "kind": {"portal"}}); code != 403 {
			t.Errorf("viewer POST %s: %d, want 403", path, code)
		}
	}
	tracer := storetest.NewBrowser(t, e.HTTP.URL)
	tracer.Login(e, server.TokenTracing, "school")
	if code, _ := tracer.Post("/portal/tokens", url.Values{"gate": {"east"}}); code != 403 {
		t.Errorf("tracing login made an enrolment token: %d", code)
	}
	if code, _ := admin.Post("/portal/logins", url.Values{"kind": {"tracing"}}); code != 400 {
		t.Errorf("admin made a tracing login: %d, want 400", code)
	}
	_, list := admin.Get("/portal/logins")
	ids := regexp.MustCompile(`name="login" value="([0-9a-f]{64})"`).FindAllStringSubmatch(list, -1)
	var viewerID string
	toks, _ := e.Srv.Store().Tokens(t.Context(), "school")
	for _, tk := range toks {
		if tk.Kind == server.TokenViewer {
			viewerID = hexOf(tk.Hash[:])
			if tk.MadeBy == "" || !strings.HasPrefix(tk.MadeBy, "portal ") {
				t.Errorf("viewer login made by %q, want the admin's login", tk.MadeBy)
			}
		}
	}
	if len(ids) != 3 || viewerID == "" {
		t.Fatalf("logins page lists %d revocable logins, want 3", len(ids))
	}
	if code, _ := admin.Post("/portal/logins/revoke", url.Values{"login": {viewerID}}); code != 200 {
		t.Fatalf("revoke: %d", code)
	}
	if code, page := viewer.Get("/portal/records"); code != 200 || !strings.Contains(page, `name="token"`) {
		t.Errorf("revoked viewer still reads records: %d", code)
	}
	if code, _ := viewer.Post("/portal/login", url.Values{"token": {m[1]}}); code != 401 {
		t.Errorf("revoked token logs in: %d", code)
	}
	if _, list := admin.Get("/portal/logins"); !strings.Contains(list, "revoked") {
		t.Error("the logins page does not show the revocation")
	}
	// Another institution's admin cannot revoke this one's logins.
	other := storetest.NewBrowser(t, e.HTTP.URL)
	other.Login(e, server.TokenPortal, "clinic")
	toks, _ = e.Srv.Store().Tokens(t.Context(), "school")
	for _, tk := range toks {
		if tk.Kind == server.TokenPortal && tk.Revoked.IsZero() {
			if code, _ := other.Post("/portal/logins/revoke", url.Values{"login": {hexOf(tk.Hash[:])}}); code != 404 {
				t.Errorf("another institution revoked a login: %d", code)
			}
		}
	}
}

// TestRegisterAndApprove: an institution applies on the portal and gets
// its admin login, which waits for the province; the province approves
// one and refuses another in its own pages; only then does the login
// work, and a refused institution gets no tokens.
func TestRegisterAndApprove(t *testing.T) {
	e := storetest.NewEnv(t, openBolt, storetest.Options{})
	apply := func(name string) string {
		b := storetest.NewBrowser(t, e.HTTP.URL)
		code, page := b.Post("/portal/register", url.Values{"name": {name}, "kind": {"kindergarten"}, "address": {"长安街 1 号"}, "contact": {"王园长"}, "phone": {"010-1234 5678"}})
		m := regexp.MustCompile(`id="new-token">([A-Z2-7-]+)<`).FindStringSubmatch(page)
		if code != 200 || m == nil {
			t.Fatalf("apply %s: %d\n%s", name, code, page)
		}
		return m[1]
	}
	sun, moon := apply("阳光幼儿园"), apply("月亮幼儿园")
	b := storetest.NewBrowser(t, e.HTTP.URL)
	if code, page := b.Post("/portal/register", url.Values{"name": {"阳光幼儿园"}, "kind": {"kindergarten"}, "address": {"x"}, "contact": {"y"}, "phone": {"12345"}}); code != 409 || !strings.Contains(page, "already registered") {
		t.Errorf("second application of a name: %d", code)
	}
	if code, page := b.Post("/portal/register", url.Values{"name": {"x"}, "kind": {"castle"}, "address": {"x"}, "contact": {"y"}, "phone": {"12345"}}); code != 400 || !strings.Contains(page, "type:") {
		t.Errorf("unknown type: %d", code)
	}
	if code, page := b.Post("/portal/login", url.Values{"token": {sun}}); code != 403 || !strings.Contains(page, "waiting for the province") {
		t.Errorf("login before approval: %d", code)
	}
	if _, _, err := e.Srv.NewToken(t.Context(), server.TokenEnroll, "阳光幼儿园", "大门"); err == nil {
		t.Error("an enrolment token for an institution not yet approved")
	}
	prov := storetest.NewBrowser(t, e.HTTP.URL)
	prov.Login(e, server.TokenProvince, "")
	_, page := prov.Get("/portal/province")
	if !strings.Contains(page, "阳光幼儿园") || !strings.Contains(page, "王园长") || strings.Count(page, `value="approve"`) != 2 {
		t.Fatalf("province page does not list both applications")
	}
	if code, _ := prov.Get("/portal/records"); code != 403 {
		t.Errorf("province login reads records: %d", code)
	}
	if code, _ := prov.Post("/portal/province/decide", url.Values{"institution": {"阳光幼儿园"}, "action": {"approve"}}); code != 200 {
		t.Fatalf("approve: %d", code)
	}
	prov.Post("/portal/province/decide", url.Values{"institution": {"月亮幼儿园"}, "action": {"refuse"}, "note": {"地址不在本省"}})
	if code, _ := prov.Post("/portal/province/decide", url.Values{"institution": {"阳光幼儿园"}, "action": {"refuse"}}); code != 409 {
		t.Errorf("deciding twice: %d, want 409", code)
	}
	sunB := storetest.NewBrowser(t, e.HTTP.URL)
	if code, page := sunB.Post("/portal/login", url.Values{"token": {sun}}); code != 200 || !strings.Contains(page, "阳光幼儿园") {
		t.Errorf("login after approval: %d", code)
	}
	if code, page := b.Post("/portal/login", url.Values{"token": {moon}}); code != 403 || !strings.Contains(page, "地址不在本省") {
		t.Errorf("login of a refused institution: %d", code)
	}
	if _, _, err := e.Srv.NewToken(t.Context(), server.TokenEnroll, "月亮幼儿园", "大门"); err == nil {
		t.Error("an enrolment token for a refused institution")
	}
	in, err := e.Srv.Store().Institution(t.Context(), "阳光幼儿园")
	if err != nil || in.State != server.InstitutionApproved || !strings.HasPrefix(in.DecidedBy, "province ") || in.Kind != "kindergarten" {
		t.Errorf("approved institution: %+v %v", in, err)
	}
}

// TestRecordsFilterPagesAndExport: a school's records filtered, paged
// both ways with honest totals, and exported as CSV and XLSX that hold
// exactly what the filter selects.
func TestRecordsFilterPagesAndExport(t *testing.T) {
	e := storetest.NewEnv(t, openBolt, storetest.Options{})
	north, south := e.Enroll(t, "school", "北门"), e.Enroll(t, "school", "南门")
	start := e.Clock.Now().Add(-20 * time.Hour)
	recs := storetest.MixedRecords(north, 230, start, 3*time.Minute)
	e.UploadAll(t, north, recs)
	e.UploadAll(t, south, storetest.MixedRecords(south, 40, start, 7*time.Minute))
	b := storetest.NewBrowser(t, e.HTTP.URL)
	b.Login(e, server.TokenViewer, "school")
	stops := 0
	for _, r := range recs {
		if r.Verdict == healthcode.VerdictStop {
			stops++
		}
	}
	filter := "gate=" + url.QueryEscape("北门") + "&verdict=stop"
	_, page := b.Get("/portal/records?" + filter)
	if !strings.Contains(page, ">"+strconv.Itoa(stops)+" records<") {
		t.Fatalf("filtered count: want %d records", stops)
	}
	seen := map[string]bool{}
	row := regexp.MustCompile(`record=([0-9a-f-]{36})&amp;window`)
	next := regexp.MustCompile(`href="([^"]+)" rel="next"`)
	pages := 0
	for path := "/portal/records?" + filter; path != ""; pages++ {
		_, page := b.Get(path)
		for _, m := range row.FindAllStringSubmatch(page, -1) {
			if seen[m[1]] {
				t.Errorf("record %s on two pages", m[1])
			}
			seen[m[1]] = true
		}
		path = ""
		if m := next.FindStringSubmatch(page); m != nil {
			path = strings.ReplaceAll(m[1], "&amp;", "&")
		}
	}
	if len(seen) != stops || pages != (stops+49)/50 {
		t.Errorf("paging: %d records on %d pages, want %d on %d", len(seen), pages, stops, (stops+49)/50)
	}
	_, last := b.Get("/portal/records?" + filter + "&p=99&d=last")
	if !strings.Contains(last, "page 2 of 2") || len(row.FindAllString(last, -1)) != stops-50 {
		t.Errorf("last page: %d rows, want %d", len(row.FindAllString(last, -1)), stops-50)
	}

	resp, err := b.C.Get(e.HTTP.URL + "/portal/records.csv?" + filter)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(resp.Body).ReadAll()
	resp.Body.Close()
	if err != nil || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("CSV: %v %v", err, resp.Header)
	}
	checkExport(t, "CSV", rows, seen)
	resp, err = b.C.Get(e.HTTP.URL + "/portal/records.xlsx?" + filter)
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	xrows, err := f.GetRows("records")
	if err != nil {
		t.Fatal(err)
	}
	checkExport(t, "XLSX", xrows, seen)
}

func checkExport(t *testing.T, what string, rows [][]string, want map[string]bool) {
	t.Helper()
	if len(rows) != len(want)+1 {
		t.Fatalf("%s: %d rows, want a header and %d", what, len(rows), len(want))
	}
	head := rows[0]
	col := func(name string) int {
		for i, h := range head {
			if strings.TrimPrefix(h, "\ufeff") == name {
				return i
			}
		}
		t.Fatalf("%s: no column %q in %v", what, name, head)
		return 0
	}
	rec, gate, verdict, id := col("record"), col("gate"), col("verdict"), col("ID")
	for _, r := range rows[1:] {
		if !want[r[rec]] || r[gate] != "北门" || r[verdict] != "stop" || !strings.Contains(r[id], "****") {
			t.Errorf("%s row %v is not in the filter or not masked", what, r)
		}
	}
}

// TestStaffManagedByAdminOnly: the admin adds a person and is shown the
// one-time code once; the province's list holds only its verifier; a
// taken name is refused; disabling is the admin's alone.
func TestStaffManagedByAdminOnly(t *testing.T) {
	e := storetest.NewEnv(t, openBolt, storetest.Options{})
	admin := storetest.NewBrowser(t, e.HTTP.URL)
	admin.Login(e, server.TokenPortal, "school")
	code, page := admin.Post("/portal/staff", url.Values{"name": {"王芳"}, "phone": {"138 0013 8000"}, "role": {"门卫"}})
	m := regexp.MustCompile(`id="new-code">(\d{8})<`).FindStringSubmatch(page)
	if code != 200 || m == nil || !strings.Contains(page, "waiting for first sign-in") {
		t.Fatalf("add staff: %d", code)
	}
	staff, _ := e.Srv.Store().Staff(t.Context(), "school")
	if len(staff) != 1 || staff[0].Setup == "" || strings.Contains(staff[0].Setup, m[1]) || staff[0].Verifier != "" {
		t.Fatalf("stored staff: %+v", staff)
	}
	if _, page := admin.Get("/portal/staff"); strings.Contains(page, m[1]) {
		t.Error("the one-time code is shown again")
	}
	if code, page := admin.Post("/portal/staff", url.Values{"name": {"王芳"}}); code != 400 || !strings.Contains(page, "already in the institution") {
		t.Errorf("a second 王芳: %d", code)
	}
	viewer := storetest.NewBrowser(t, e.HTTP.URL)
	viewer.Login(e, server.TokenViewer, "school")
	if code, _ := viewer.Get("/portal/staff"); code != 403 {
		t.Errorf("viewer sees the staff: %d", code)
	}
	if code, _ := viewer.Post("/portal/staff/change", url.Values{"staff": {staff[0].ID}, "action": {"disable"}}); code != 403 {
		t.Errorf("viewer disabled a person: %d", code)
	}
	if code, _ := admin.Post("/portal/staff/change", url.Values{"staff": {staff[0].ID}, "action": {"disable"}}); code != 200 {
		t.Errorf("disable: %d", code)
	}
	if staff, _ := e.Srv.Store().Staff(t.Context(), "school"); !staff[0].Disabled {
		t.Error("not disabled")
	}
	other := storetest.NewBrowser(t, e.HTTP.URL)
	other.Login(e, server.TokenPortal, "clinic")
	if code, _ := other.Post("/portal/staff/change", url.Values{"staff": {staff[0].ID}, "action": {"enable"}}); code != 404 {
		t.Errorf("another institution changed a person: %d", code)
	}
}
