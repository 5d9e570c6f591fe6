package portal_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"hcscan/healthcode"
	"hcscan/protocol"
	"hcscan/server"
	"hcscan/server/boltstore"
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

// TestSessionCookieHeadersAndEscaping: what keeps a portal login safe in a
// browser: the session cookie (HttpOnly, SameSite=Strict, only for
// /portal/), headers that forbid framing, scripts and caching, CSRF tokens
// on every form, and text from scanners (names, gates, institution)
// escaped, never markup.
func TestSessionCookieHeadersAndEscaping(t *testing.T) {
	e := storetest.NewEnv(t, openBolt, storetest.Options{})
	const inst = `<script>alert("inst")</script>`
	d := e.Enroll(t, inst, "north")
	r := storetest.NewRecord(d, `"><b>gate</b>`, `<i>op</i>`, e.Clock.Now())
	r.Name = `<img src=x onerror=alert(1)>`
	if rr := e.Upload(t, d, []healthcode.Record{r}, ""); rr.Stored != 1 {
		t.Fatalf("upload: %+v", rr)
	}

	// Not logged in: every page sends to the login form.
	for _, path := range []string{"/portal/", "/portal/contacts?device=" + d.ID + "&record=" + r.ID} {
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
	c := cookies[0]
	if c.Name != "hcportal" || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/portal/" || len(c.Value) < 40 {
		t.Errorf("session cookie %+v: want HttpOnly, SameSite=Strict, Path=/portal/, a long random value", c)
	}

	b := storetest.NewBrowser(t, e.HTTP.URL)
	home := b.Login(e, server.TokenPortal, inst)
	for _, raw := range []string{inst, r.Name, `"><b>gate</b>`, `<i>op</i>`} {
		if strings.Contains(home, raw) {
			t.Errorf("home page holds %q unescaped", raw)
		}
	}
	for _, escaped := range []string{"&lt;script&gt;", "&lt;img src=x onerror=alert(1)&gt;", "&lt;i&gt;op&lt;/i&gt;"} {
		if !strings.Contains(home, escaped) {
			t.Errorf("home page lacks %q", escaped)
		}
	}
	resp, err = b.C.Get(e.HTTP.URL + "/portal/")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	for h, want := range map[string]string{
		"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
		"X-Frame-Options":         "DENY",
		"Cache-Control":           "no-store",
		"Content-Type":            "text/html; charset=utf-8",
	} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s: %q, want %q", h, got, want)
		}
	}

	// Every form that changes something carries the session's CSRF token,
	// and a POST without it, or with another, is refused.
	if n, m := strings.Count(home, `method="post"`), strings.Count(home, `name="csrf" value="`+b.CSRF+`"`); n == 0 || n != m {
		t.Errorf("%d POST forms, %d with the session's CSRF token", n, m)
	}
	for _, csrf := range []string{"", "forged"} {
		form := url.Values{"gate": {"east"}, "csrf": {csrf}}
		resp, err := b.C.PostForm(e.HTTP.URL+"/portal/tokens", form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("new token with CSRF %q: %d, want 403", csrf, resp.StatusCode)
		}
	}
	if toks, _ := e.Srv.Store().Tokens(t.Context(), inst); len(toks) != 3 { // the enrolment token and two logins
		t.Errorf("a refused form made a token: %d tokens", len(toks))
	}

	// An unknown portal page is the server's JSON 404, as any unknown path.
	code, body := b.Get("/portal/nothing")
	var er protocol.ErrorReply
	if code != 404 || json.Unmarshal([]byte(body), &er) != nil || er.Code != protocol.ErrNotFound {
		t.Errorf("unknown page: %d %s", code, body)
	}
}
