// Package portal is the institution portal: server-rendered pages for one
// institution, logged in with a portal token (`hcserver token --portal`)
// or a tracing token (`--tracing`, which may also open sealed identities).
// Sessions live in the server's store, so any server process in front of
// it serves any logged-in browser. The pages are plain HTML forms with no
// script, from the templates in templates/.
package portal

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"time"

	"hcscan/healthcode"
	"hcscan/server"
)

// Store is what the portal reads and writes of the server's store.
type Store interface {
	server.SessionStore
	Token(ctx context.Context, hash server.TokenHash) (server.Token, error)
	Tokens(ctx context.Context, institution string) ([]server.Token, error)
	Devices(ctx context.Context, institution string) ([]server.Device, error)
	SetDeviceDisabled(ctx context.Context, institution, id string, disabled bool) error
	Records(ctx context.Context, q server.RecordQuery) ([]server.StoredRecord, error)
	Alerts(ctx context.Context, institution string) ([]server.Alert, error)
	Audit(ctx context.Context, institution string, limit int) ([]server.AuditEntry, error)
}

// Province is the work of the server the portal asks for (*server.Server
// does it).
type Province interface {
	NewToken(ctx context.Context, kind, institution, gate string) (string, server.Token, error)
	CloseContacts(ctx context.Context, institution, deviceID, recordID string, window time.Duration) (server.StoredRecord, []server.StoredRecord, error)
	OpenIdentity(ctx context.Context, institution, actor, deviceID, recordID, reason string) (healthcode.SealedIdentity, server.StoredRecord, error)
}

// Config configures a Portal.
type Config struct {
	Store    Store
	Province Province
	// Logger gets the portal's log; nil discards it.
	Logger *slog.Logger
	// Now is the clock (the server's, so tests move both); nil is time.Now.
	Now func() time.Time
}

// Portal serves the pages under /portal/; server.Server.Handler mounts it.
type Portal struct {
	store    Store
	province Province
	log      *slog.Logger
	now      func() time.Time
	pages    *template.Template
}

// New makes the portal of a server: portal.New(portal.Config{Store:
// srv.Store(), Province: srv, Logger: log, Now: srv.Now}).
func New(cfg Config) (*Portal, error) {
	if cfg.Store == nil || cfg.Province == nil {
		return nil, errors.New("portal: no store or province")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	pages, err := parseTemplates()
	if err != nil {
		return nil, fmt.Errorf("portal templates: %w", err)
	}
	return &Portal{store: cfg.Store, province: cfg.Province, log: cfg.Logger, now: cfg.Now, pages: pages}, nil
}

const (
	sessionCookie = "hcportal"
	sessionTTL    = 12 * time.Hour
)

// session is the portal login of a request.
type session struct {
	institution string
	csrf        string
	kind        string
	actor       string
}

func (s session) tracer() bool { return s.kind == server.TokenTracing }

func randomText(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashSession(cookie string) server.SessionHash { return sha256.Sum256([]byte(cookie)) }

// Routes adds the portal's pages to the server's mux.
func (p *Portal) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /portal/login", p.loginForm)
	mux.HandleFunc("POST /portal/login", p.login)
	mux.HandleFunc("POST /portal/logout", p.loggedIn(p.logout))
	mux.HandleFunc("GET /portal/{$}", p.loggedIn(p.home))
	mux.HandleFunc("POST /portal/tokens", p.loggedIn(p.newToken))
	mux.HandleFunc("GET /portal/contacts", p.loggedIn(p.contacts))
	mux.HandleFunc("POST /portal/devices", p.loggedIn(p.device))
	mux.HandleFunc("POST /portal/identity", p.loggedIn(p.identity))
}

type pageHandler func(w http.ResponseWriter, r *http.Request, sess session)

// loggedIn requires a session, and the session's CSRF token on POSTs.
func (p *Portal) loggedIn(h pageHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(sessionCookie)
		var st server.Session
		if err == nil {
			st, err = p.store.Session(r.Context(), hashSession(c.Value), p.now())
		}
		if err != nil {
			if !errors.Is(err, server.ErrNotFound) && !errors.Is(err, http.ErrNoCookie) {
				p.log.Error("portal session", "err", err)
				http.Error(w, "could not read the session", http.StatusInternalServerError)
				return
			}
			http.Redirect(w, r, "/portal/login", http.StatusSeeOther)
			return
		}
		sess := session{institution: st.Institution, csrf: st.CSRF, kind: st.Kind, actor: st.Actor}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
			if subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(sess.csrf)) != 1 {
				http.Error(w, "form expired: reload the page", http.StatusForbidden)
				return
			}
		}
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
		w.Header().Set("X-Frame-Options", "DENY")
		h(w, r, sess)
	}
}

func (p *Portal) render(w http.ResponseWriter, status int, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := p.pages.ExecuteTemplate(w, name, data); err != nil {
		p.log.Error("render portal page", "page", name, "err", err)
	}
}
