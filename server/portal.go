package server

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"sort"
	"strconv"
	"time"

	"hcscan/healthcode"
)

// The portal: server-rendered pages for one institution, logged in with a
// portal token (`hcserver token --portal`) or a tracing token (`--tracing`,
// which may also open sealed identities). Sessions live in the store, so
// any server process in front of it serves any logged-in browser.

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

func (s session) tracer() bool { return s.kind == TokenTracing }

func randomText(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashSession(cookie string) SessionHash { return sha256.Sum256([]byte(cookie)) }

func (s *Server) portalRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /portal/login", s.portalLoginForm)
	mux.HandleFunc("POST /portal/login", s.portalLogin)
	mux.HandleFunc("POST /portal/logout", s.portal(s.portalLogout))
	mux.HandleFunc("GET /portal/{$}", s.portal(s.portalHome))
	mux.HandleFunc("POST /portal/tokens", s.portal(s.portalNewToken))
	mux.HandleFunc("GET /portal/contacts", s.portal(s.portalContacts))
	mux.HandleFunc("POST /portal/devices", s.portal(s.portalDevice))
	mux.HandleFunc("POST /portal/identity", s.portal(s.portalIdentity))
}

type portalHandler func(w http.ResponseWriter, r *http.Request, sess session)

// portal requires a session, and the session's CSRF token on POSTs.
func (s *Server) portal(h portalHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(sessionCookie)
		var st Session
		if err == nil {
			st, err = s.store.Session(r.Context(), hashSession(c.Value), s.now())
		}
		if err != nil {
			if !errors.Is(err, ErrNotFound) && !errors.Is(err, http.ErrNoCookie) {
				s.log.Error("portal session", "err", err)
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

func (s *Server) render(w http.ResponseWriter, status int, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := portalTemplates.ExecuteTemplate(w, name, data); err != nil {
		s.log.Error("render portal page", "page", name, "err", err)
	}
}

func (s *Server) portalLoginForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusOK, "login", map[string]any{"Error": ""})
}

func (s *Server) portalLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	text := r.PostFormValue("token")
	t, err := s.store.Token(r.Context(), HashToken(text))
	now := s.now()
	if err != nil || (t.Kind != TokenPortal && t.Kind != TokenTracing) || now.After(t.Expires) || text == "" {
		if err != nil && !errors.Is(err, ErrTokenUnknown) {
			s.log.Error("portal login", "err", err)
		}
		s.render(w, http.StatusUnauthorized, "login", map[string]any{"Error": "That portal token is not valid."})
		return
	}
	id := randomText(32)
	st := Session{Hash: hashSession(id), Institution: t.Institution, Kind: t.Kind, Actor: t.Kind + " " + t.Hint,
		CSRF: randomText(24), Expires: now.Add(sessionTTL).UTC()}
	if err := s.store.PutSession(r.Context(), st); err != nil {
		s.log.Error("portal login", "err", err)
		http.Error(w, "could not start the session", http.StatusInternalServerError)
		return
	}
	s.log.Info("portal login", "institution", t.Institution, "actor", st.Actor)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/portal/", HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode, MaxAge: int(sessionTTL / time.Second)})
	http.Redirect(w, r, "/portal/", http.StatusSeeOther)
}

func (s *Server) portalLogout(w http.ResponseWriter, r *http.Request, _ session) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if err := s.store.DeleteSession(r.Context(), hashSession(c.Value)); err != nil {
			s.log.Error("portal logout", "err", err)
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/portal/", MaxAge: -1})
	http.Redirect(w, r, "/portal/login", http.StatusSeeOther)
}

// OperatorSummary is one operator seen in an institution's records.
type OperatorSummary struct {
	Name     string
	Checks   int
	LastSeen time.Time
	Gates    string
}

type homePage struct {
	Institution string
	CSRF        string
	Gate        string
	Records     []StoredRecord
	Older       string // ?before= of the next page, when there is one
	Alerts      []Alert
	Devices     []Device
	Tokens      []Token
	Operators   []OperatorSummary
	NewToken    string
	NewTokenFor string
	Error       string
	Now         time.Time
	Tracer      bool         // the login may open sealed identities
	Audit       []AuditEntry // sealed identities opened for this institution
}

func (s *Server) homeData(r *http.Request, sess session) (*homePage, error) {
	p := &homePage{Institution: sess.institution, CSRF: sess.csrf, Gate: r.URL.Query().Get("gate"), Now: s.now(), Tracer: sess.tracer()}
	before, _ := time.Parse(time.RFC3339Nano, r.URL.Query().Get("before"))
	const page = 200
	var err error
	if p.Records, err = s.store.Records(r.Context(), RecordQuery{Institution: sess.institution, Gate: p.Gate, Before: before, Limit: page}); err != nil {
		return nil, err
	}
	if len(p.Records) == page {
		p.Older = When(&p.Records[page-1].Record).Format(time.RFC3339Nano)
	}
	if p.Alerts, err = s.store.Alerts(r.Context(), sess.institution); err != nil {
		return nil, err
	}
	if p.Devices, err = s.store.Devices(r.Context(), sess.institution); err != nil {
		return nil, err
	}
	if p.Tokens, err = s.store.Tokens(r.Context(), sess.institution); err != nil {
		return nil, err
	}
	if p.Audit, err = s.store.Audit(r.Context(), sess.institution, 200); err != nil {
		return nil, err
	}
	recent, err := s.store.Records(r.Context(), RecordQuery{Institution: sess.institution, Limit: 2000})
	if err != nil {
		return nil, err
	}
	p.Operators = operators(recent)
	return p, nil
}

func operators(recs []StoredRecord) []OperatorSummary {
	by := map[string]*OperatorSummary{}
	gates := map[string]map[string]bool{}
	for i := range recs {
		r := &recs[i].Record
		o := by[r.Operator]
		if o == nil {
			o = &OperatorSummary{Name: r.Operator}
			by[r.Operator] = o
			gates[r.Operator] = map[string]bool{}
		}
		o.Checks++
		if t := When(r); t.After(o.LastSeen) {
			o.LastSeen = t
		}
		gates[r.Operator][r.Gate] = true
	}
	out := make([]OperatorSummary, 0, len(by))
	for name, o := range by {
		var gs []string
		for g := range gates[name] {
			gs = append(gs, g)
		}
		sort.Strings(gs)
		for i, g := range gs {
			if i > 0 {
				o.Gates += ", "
			}
			o.Gates += g
		}
		out = append(out, *o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (s *Server) portalHome(w http.ResponseWriter, r *http.Request, sess session) {
	p, err := s.homeData(r, sess)
	if err != nil {
		s.log.Error("portal home", "err", err)
		http.Error(w, "could not read the records", http.StatusInternalServerError)
		return
	}
	s.render(w, http.StatusOK, "home", p)
}

func (s *Server) portalNewToken(w http.ResponseWriter, r *http.Request, sess session) {
	gate := r.PostFormValue("gate")
	text, _, err := s.NewToken(r.Context(), TokenEnroll, sess.institution, gate)
	p, derr := s.homeData(r, sess)
	if derr != nil {
		http.Error(w, "could not read the records", http.StatusInternalServerError)
		return
	}
	if err != nil {
		p.Error = err.Error()
		s.render(w, http.StatusBadRequest, "home", p)
		return
	}
	p.NewToken, p.NewTokenFor = text, gate
	s.render(w, http.StatusOK, "home", p)
}

// portalDevice disables or enables one of the institution's devices.
func (s *Server) portalDevice(w http.ResponseWriter, r *http.Request, sess session) {
	disable := r.PostFormValue("action") == "disable"
	err := s.store.SetDeviceDisabled(r.Context(), sess.institution, r.PostFormValue("device"), disable)
	if errors.Is(err, ErrNotFound) {
		http.Error(w, "no such device in this institution", http.StatusNotFound)
		return
	}
	if err != nil {
		s.log.Error("portal device", "err", err)
		http.Error(w, "could not change the device", http.StatusInternalServerError)
		return
	}
	s.log.Info("device changed in the portal", "institution", sess.institution, "device", r.PostFormValue("device"), "disabled", disable)
	http.Redirect(w, r, "/portal/", http.StatusSeeOther)
}

type contactsPage struct {
	Institution string
	CSRF        string
	Check       StoredRecord
	Window      int
	Contacts    []StoredRecord
	Tracer      bool
	Sealed      []StoredRecord // the check and contacts with a sealed identity
}

func (s *Server) portalContacts(w http.ResponseWriter, r *http.Request, sess session) {
	q := r.URL.Query()
	minutes, err := strconv.Atoi(q.Get("window"))
	if err != nil || minutes <= 0 || minutes > 24*60 {
		minutes = 30
	}
	rec, contacts, err := s.CloseContacts(r.Context(), sess.institution, q.Get("device"), q.Get("record"), time.Duration(minutes)*time.Minute)
	if errors.Is(err, ErrNotFound) {
		http.Error(w, "no such check in this institution's records", http.StatusNotFound)
		return
	}
	if err != nil {
		s.log.Error("portal contacts", "err", err)
		http.Error(w, "could not read the records", http.StatusInternalServerError)
		return
	}
	p := contactsPage{Institution: sess.institution, CSRF: sess.csrf, Check: rec, Window: minutes, Contacts: contacts, Tracer: sess.tracer()}
	for _, r := range append([]StoredRecord{rec}, contacts...) {
		if len(r.Sealed) > 0 {
			p.Sealed = append(p.Sealed, r)
		}
	}
	s.render(w, http.StatusOK, "contacts", p)
}

type identityPage struct {
	Institution string
	Record      StoredRecord
	Name        string
	ID          string
	Phone       string
	Reason      string
}

// portalIdentity opens one sealed identity for a tracing login (audited).
func (s *Server) portalIdentity(w http.ResponseWriter, r *http.Request, sess session) {
	if !sess.tracer() {
		http.Error(w, ErrNotTracer.Error(), http.StatusForbidden)
		return
	}
	reason := r.PostFormValue("reason")
	id, rec, err := s.OpenIdentity(r.Context(), sess.institution, sess.actor, r.PostFormValue("device"), r.PostFormValue("record"), reason)
	switch {
	case err == nil:
	case errors.Is(err, ErrNotFound):
		http.Error(w, "no such check in this institution's records", http.StatusNotFound)
		return
	case errors.Is(err, ErrNoReason), errors.Is(err, ErrNotSealed):
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	default:
		s.log.Error("portal open identity", "err", err)
		http.Error(w, "could not open the sealed identity", http.StatusInternalServerError)
		return
	}
	s.render(w, http.StatusOK, "identity", identityPage{Institution: sess.institution, Record: rec, Name: id.Name, ID: id.ID, Phone: id.Phone, Reason: reason})
}

var portalTemplates = template.Must(template.New("portal").Funcs(template.FuncMap{
	"when": func(r healthcode.Record) string { return When(&r).Local().Format("2006-01-02 15:04:05") },
	"ts": func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.Local().Format("2006-01-02 15:04")
	},
	"short": func(s string) string {
		if len(s) > 8 {
			return s[:8]
		}
		return s
	},
}).Parse(portalHTML))
