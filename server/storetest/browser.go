package storetest

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"testing"
)

// Browser is a portal user with its own cookies.
type Browser struct {
	t    testing.TB
	Base string
	C    *http.Client
	CSRF string // the session's form token, once logged in
}

// NewBrowser is a browser on the server at base whose cookie jar holds
// only the portal's language switch, set to English.
func NewBrowser(t testing.TB, base string) *Browser {
	jar, _ := cookiejar.New(nil)
	if u, err := url.Parse(base + "/portal/"); err == nil {
		jar.SetCookies(u, []*http.Cookie{{Name: "hclang", Value: "en", Path: "/portal/"}})
	}
	return &Browser{t: t, Base: base, C: &http.Client{Jar: jar}}
}

// Get loads a page.
func (p *Browser) Get(path string) (int, string) {
	p.t.Helper()
	resp, err := p.C.Get(p.Base + path)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// Post submits a form, with the session's CSRF token unless form has one.
func (p *Browser) Post(path string, form url.Values) (int, string) {
	p.t.Helper()
	if p.CSRF != "" && form.Get("csrf") == "" {
		form.Set("csrf", p.CSRF)
	}
	resp, err := p.C.PostForm(p.Base+path, form)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// Login logs in with a new token of kind and returns the home page.
func (p *Browser) Login(e *Env, kind, institution string) string {
	p.t.Helper()
	tok, _, err := e.Srv.NewToken(p.t.Context(), kind, institution, "")
	if err != nil {
		p.t.Fatal(err)
	}
	code, home := p.Post("/portal/login", url.Values{"token": {tok}})
	m := csrfField.FindStringSubmatch(home)
	if code != 200 || m == nil {
		p.t.Fatalf("login as %s: %d", kind, code)
	}
	p.CSRF = m[1]
	return home
}
