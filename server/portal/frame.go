package portal

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"hcscan/healthcode"
	"hcscan/server"
)

// Frame is what the layout of every page needs: the language, the
// institution's time zone, the login (nil on public pages) and where the
// page is. Each page's data embeds it, so a template calls {{.T "key"}},
// {{.When .Record}} and {{.Can "admin"}} on any page (and $.T inside a
// range).
type Frame struct {
	Lang  string
	Title string // key of the page's title in the catalogue
	Nav   string // which navigation entry is this page
	Path  string // the request's path and query, for the language switch
	Login *Login
	Zone  *time.Location
	Now   time.Time
	// Notice and Error are one line at the top of the page (already
	// translated; an error is also the reason of a 4xx status).
	Notice string
	Error  string
}

// T is the text of key in the page's language.
func (f Frame) T(key string) string { return text(f.Lang, key) }

// Tf formats the text of key with args (fmt verbs in the catalogue).
func (f Frame) Tf(key string, args ...any) string { return fmt.Sprintf(text(f.Lang, key), args...) }

// Other is the language the switch offers.
func (f Frame) Other() string {
	if f.Lang == langEN {
		return langZH
	}
	return langEN
}

// SwitchURL switches the language and comes back to this page.
func (f Frame) SwitchURL() string {
	return "/portal/lang?to=" + f.Other() + "&back=" + url.QueryEscape(f.Path)
}

// Can reports whether the login may do what role names ("admin",
// "records", "tracing", "province").
func (f Frame) Can(what string) bool { return f.Login != nil && f.Login.can(what) }

// CSRF is the login's form token ("" when logged out).
func (f Frame) CSRF() string {
	if f.Login == nil {
		return ""
	}
	return f.Login.CSRF
}

// Time is t in the institution's zone, to the minute ("-" for none).
func (f Frame) Time(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(f.Zone).Format("2006-01-02 15:04")
}

// When is a record's best time in the institution's zone, to the second.
func (f Frame) When(r healthcode.Record) string {
	return server.When(&r).In(f.Zone).Format("2006-01-02 15:04:05")
}

// Clock is t's time of day in the institution's zone.
func (f Frame) Clock(t time.Time) string { return t.In(f.Zone).Format("15:04") }

// Colour names a code colour.
func (f Frame) Colour(c healthcode.Colour) string { return f.T("colour." + c.String()) }

// Verdict names a verdict.
func (f Frame) Verdict(v healthcode.Verdict) string { return f.T("verdict." + v.String()) }

// Disposition names what the operator decided; a plain pass has none.
func (f Frame) Disposition(r healthcode.Record) string {
	if r.Verdict == healthcode.VerdictPass && r.Disposition == healthcode.DispositionPass {
		return ""
	}
	if r.Disposition == healthcode.DispositionNone {
		return ""
	}
	return r.Disposition.Label(f.Lang)
}

// Temp is a temperature reading, "" when none was taken.
func (f Frame) Temp(r healthcode.Record) string {
	if r.Temperature == 0 {
		return ""
	}
	return r.Temperature.String()
}

// Role names a kind of login.
func (f Frame) Role(kind string) string { return f.T("role." + kind) }

// State names an institution's state.
func (f Frame) State(s string) string { return f.T("state." + s) }

// Kind names a type of institution.
func (f Frame) Kind(k string) string { return f.T("kind." + k) }

// frame starts the frame of a page for r (the login may be nil).
func (p *Portal) frame(r *http.Request, login *Login, title, nav string) Frame {
	f := Frame{Lang: language(r), Title: title, Nav: nav, Path: r.URL.RequestURI(), Login: login, Zone: p.zone, Now: p.now()}
	if login != nil && login.Zone != nil {
		f.Zone = login.Zone
	}
	return f
}

// securePage sets what every portal page sends besides the server's
// security headers: never cached (pages hold personal data).
func securePage(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
}

// render writes a page from its template.
func (p *Portal) render(w http.ResponseWriter, status int, name string, data any) {
	securePage(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	var b strings.Builder
	if err := p.pages.ExecuteTemplate(&b, name, data); err != nil {
		p.log.Error("render portal page", "page", name, "err", err)
		http.Error(w, "could not draw the page", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}

type errorPage struct {
	Frame
	Status int
	Back   string
}

// fail answers an HTML error page with msg (translated already) and a way
// back; a login's error page keeps its navigation.
func (p *Portal) fail(w http.ResponseWriter, r *http.Request, login *Login, status int, msg string) {
	f := p.frame(r, login, "error.title", "")
	f.Error = msg
	back := "/portal/"
	if login == nil {
		back = "/portal/login"
	}
	p.render(w, status, "error", errorPage{Frame: f, Status: status, Back: back})
}

// failInternal logs err and answers 500 without its details.
func (p *Portal) failInternal(w http.ResponseWriter, r *http.Request, login *Login, what string, err error) {
	p.log.Error("portal: "+what, "path", r.URL.Path, "err", err)
	p.fail(w, r, login, http.StatusInternalServerError, text(language(r), "error.internal"))
}

// NotFound is the HTML page for a path nothing serves (outside /v1/).
// A logged-in person keeps the menu.
func (p *Portal) NotFound(w http.ResponseWriter, r *http.Request) {
	login, err := p.session(r)
	if err != nil {
		login = nil
	}
	p.fail(w, r, login, http.StatusNotFound, text(language(r), "error.notfound"))
}
