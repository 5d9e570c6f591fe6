package portal

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"hcscan/server"
)

const (
	sessionCookie = "hcportal"
	sessionTTL    = 12 * time.Hour
)

// Roles a page asks of a login (Login.can).
const (
	roleAny      = "any"      // any login
	roleRecords  = "records"  // an institution's logins: admin, viewer, tracing
	roleAdmin    = "admin"    // the institution's admin: tokens, staff, gates, logins
	roleTracing  = "tracing"  // provincial tracing staff: sealed identities
	roleProvince = "province" // the provincial office: approvals
)

// Login is the portal login of a request.
type Login struct {
	Institution string
	Kind        string // the login token's kind
	Actor       string // names the login in logs and the audit list
	CSRF        string
	Zone        *time.Location // the institution's
	session     server.SessionHash
}

func (l *Login) can(role string) bool {
	switch role {
	case roleAny:
		return true
	case roleRecords:
		return l.Kind == server.TokenPortal || l.Kind == server.TokenViewer || l.Kind == server.TokenTracing
	case roleAdmin:
		return l.Kind == server.TokenPortal
	case roleTracing:
		return l.Kind == server.TokenTracing
	case roleProvince:
		return l.Kind == server.TokenProvince
	}
	return false
}

func randomText(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashSession(cookie string) server.SessionHash { return sha256.Sum256([]byte(cookie)) }

// loggedIn requires a live session whose login (token) is neither revoked
// nor expired and may do role, and the session's CSRF token on POSTs.
func (p *Portal) loggedIn(role string, h pageHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		login, err := p.session(r)
		if err != nil {
			if !errors.Is(err, server.ErrNotFound) && !errors.Is(err, http.ErrNoCookie) {
				p.failInternal(w, r, nil, "read session", err)
				return
			}
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/portal/login", http.StatusSeeOther)
				return
			}
			p.fail(w, r, nil, http.StatusUnauthorized, text(language(r), "error.session"))
			return
		}
		if !login.can(role) {
			if login.Kind == server.TokenProvince && r.URL.Path == "/portal/" {
				http.Redirect(w, r, "/portal/province", http.StatusSeeOther)
				return
			}
			p.fail(w, r, login, http.StatusForbidden, text(language(r), "error.role"))
			return
		}
		if r.Method == http.MethodPost {
			limit := int64(16 << 10)
			if r.URL.Path == "/portal/roster/import" {
				limit = rosterImportBody // a file upload
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
			if subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(login.CSRF)) != 1 {
				p.fail(w, r, login, http.StatusForbidden, text(language(r), "error.csrf"))
				return
			}
		}
		h(w, r, login)
	}
}

// session finds the login of r's cookie (server.ErrNotFound when there
// is none, it ended, or its token was revoked or expired).
func (p *Portal) session(r *http.Request) (*Login, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil, err
	}
	now := p.now()
	st, err := p.store.Session(r.Context(), hashSession(c.Value), now)
	if err != nil {
		return nil, err
	}
	t, err := p.store.Token(r.Context(), st.Token)
	if errors.Is(err, server.ErrTokenUnknown) || err == nil && !t.LoginValid(now) {
		return nil, server.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	login := &Login{Institution: st.Institution, Kind: st.Kind, Actor: st.Actor, CSRF: st.CSRF, Zone: p.zone, session: st.Hash}
	if st.Institution != "" {
		in, err := p.store.Institution(r.Context(), st.Institution)
		switch {
		case err == nil:
			login.Zone = in.Location()
		case !errors.Is(err, server.ErrNotFound):
			return nil, err
		}
	}
	return login, nil
}

type loginPage struct {
	Frame
}

func (p *Portal) loginForm(w http.ResponseWriter, r *http.Request, _ *Login) {
	p.render(w, http.StatusOK, "login", loginPage{p.frame(r, nil, "login.title", "")})
}

// clientIP is the address the request came from (a proxy in front is one
// client: put the limits there too).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (p *Portal) login(w http.ResponseWriter, r *http.Request, _ *Login) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	lang := language(r)
	typed := r.PostFormValue("token")
	ip, prefix := clientIP(r), tokenPrefix(typed)
	page := loginPage{p.frame(r, nil, "login.title", "")}
	if wait := p.limiter.wait(ip, prefix); wait > 0 {
		secs := int(wait/time.Second) + 1
		p.log.Warn("portal login slowed down", "client", ip, "token_prefix", prefix, "retry_after_s", secs)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		page.Error = textf(lang, "login.slow", secs)
		p.render(w, http.StatusTooManyRequests, "login", page)
		return
	}
	now := p.now()
	t, err := p.store.Token(r.Context(), server.HashToken(typed))
	if err != nil && !errors.Is(err, server.ErrTokenUnknown) {
		p.failInternal(w, r, nil, "login", err)
		return
	}
	if err != nil || strings.TrimSpace(typed) == "" || !t.LoginValid(now) {
		p.limiter.failed(ip, prefix)
		p.log.Info("portal login refused", "client", ip, "token_prefix", prefix)
		page.Error = text(lang, "login.bad")
		p.render(w, http.StatusUnauthorized, "login", page)
		return
	}
	if t.Institution != "" {
		in, err := p.store.Institution(r.Context(), t.Institution)
		switch {
		case errors.Is(err, server.ErrNotFound): // from before registration: approved when the province made it
		case err != nil:
			p.failInternal(w, r, nil, "login", err)
			return
		case in.State == server.InstitutionPending:
			page.Notice = textf(lang, "login.pending", in.Name)
			p.render(w, http.StatusForbidden, "login", page)
			return
		case in.State == server.InstitutionRefused:
			page.Error = textf(lang, "login.refused", in.Name, in.Note)
			p.render(w, http.StatusForbidden, "login", page)
			return
		}
	}
	id := randomText(32)
	st := server.Session{Hash: hashSession(id), Institution: t.Institution, Kind: t.Kind, Token: t.Hash, Actor: t.Kind + " " + t.Hint,
		CSRF: randomText(24), Expires: now.Add(sessionTTL).UTC()}
	if err := p.store.PutSession(r.Context(), st); err != nil {
		p.failInternal(w, r, nil, "start session", err)
		return
	}
	p.log.Info("portal login", "institution", t.Institution, "actor", st.Actor, "client", ip)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/portal/", HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode, MaxAge: int(sessionTTL / time.Second)})
	to := "/portal/"
	if t.Kind == server.TokenProvince {
		to = "/portal/province"
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

func (p *Portal) logout(w http.ResponseWriter, r *http.Request, login *Login) {
	if err := p.store.DeleteSession(r.Context(), login.session); err != nil {
		p.log.Error("portal logout", "err", err)
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/portal/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/portal/login", http.StatusSeeOther)
}

// tokenPrefix is the first group of a typed token as it is looked up
// (the hint the portal shows), so guesses at one login are counted together.
func tokenPrefix(typed string) string {
	n := server.NormalizeToken(typed)
	if len(n) > 4 {
		n = n[:4]
	}
	return n
}
