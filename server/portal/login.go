package portal

import (
	"errors"
	"net/http"
	"time"

	"hcscan/server"
)

func (p *Portal) loginForm(w http.ResponseWriter, r *http.Request) {
	p.render(w, http.StatusOK, "login", map[string]any{"Error": ""})
}

func (p *Portal) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	text := r.PostFormValue("token")
	t, err := p.store.Token(r.Context(), server.HashToken(text))
	now := p.now()
	if err != nil || (t.Kind != server.TokenPortal && t.Kind != server.TokenTracing) || now.After(t.Expires) || text == "" {
		if err != nil && !errors.Is(err, server.ErrTokenUnknown) {
			p.log.Error("portal login", "err", err)
		}
		p.render(w, http.StatusUnauthorized, "login", map[string]any{"Error": "That portal token is not valid."})
		return
	}
	id := randomText(32)
	st := server.Session{Hash: hashSession(id), Institution: t.Institution, Kind: t.Kind, Actor: t.Kind + " " + t.Hint,
		CSRF: randomText(24), Expires: now.Add(sessionTTL).UTC()}
	if err := p.store.PutSession(r.Context(), st); err != nil {
		p.log.Error("portal login", "err", err)
		http.Error(w, "could not start the session", http.StatusInternalServerError)
		return
	}
	p.log.Info("portal login", "institution", t.Institution, "actor", st.Actor)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/portal/", HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode, MaxAge: int(sessionTTL / time.Second)})
	http.Redirect(w, r, "/portal/", http.StatusSeeOther)
}

func (p *Portal) logout(w http.ResponseWriter, r *http.Request, _ session) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if err := p.store.DeleteSession(r.Context(), hashSession(c.Value)); err != nil {
			p.log.Error("portal logout", "err", err)
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/portal/", MaxAge: -1})
	http.Redirect(w, r, "/portal/login", http.StatusSeeOther)
}
