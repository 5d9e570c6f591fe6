package portal

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The portal's languages; a person's choice is remembered in a cookie,
// else the browser's Accept-Language picks, else Chinese.
const (
	langZH     = "zh"
	langEN     = "en"
	langCookie = "hclang"
)

// language is the language of r.
func language(r *http.Request) string {
	if c, err := r.Cookie(langCookie); err == nil && (c.Value == langZH || c.Value == langEN) {
		return c.Value
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch {
		case strings.HasPrefix(tag, "zh"):
			return langZH
		case strings.HasPrefix(tag, "en"):
			return langEN
		}
	}
	return langZH
}

// switchLanguage remembers the language asked for a year and goes back to
// the page it came from (a path of the portal only).
func (p *Portal) switchLanguage(w http.ResponseWriter, r *http.Request, _ *Login) {
	to := r.URL.Query().Get("to")
	if to != langZH && to != langEN {
		p.fail(w, r, nil, http.StatusBadRequest, text(language(r), "error.lang"))
		return
	}
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: to, Path: "/portal/", MaxAge: int(365 * 24 * time.Hour / time.Second),
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
	back := r.URL.Query().Get("back")
	if u, err := url.Parse(back); err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(u.Path, "/portal/") || strings.HasPrefix(back, "//") {
		back = "/portal/"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// text is key in lang; a key missing from the catalogue shows as itself
// in brackets (the catalogue test finds those).
func text(lang, key string) string {
	m, ok := catalogue[key]
	if !ok {
		return "[" + key + "]"
	}
	if lang == langEN {
		return m[1]
	}
	return m[0]
}

func textf(lang, key string, args ...any) string { return fmt.Sprintf(text(lang, key), args...) }
