// Package portal is the institution portal: server-rendered pages, in
// Chinese and English, for the staff of an institution (its admin, records
// viewers, provincial tracing staff) and for the provincial office that
// approves institutions. Logins are tokens (`hcserver token --portal`,
// or made in the portal by an institution's admin); sessions live in the
// server's store, so any server process in front of it serves any
// logged-in browser. The pages are plain HTML forms with no script, from
// the templates in templates/ (embedded); docs/server.md says how to add one.
package portal

import (
	"context"
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
	RevokeToken(ctx context.Context, institution string, hash server.TokenHash, now time.Time) error
	Devices(ctx context.Context, institution string) ([]server.Device, error)
	SetDeviceDisabled(ctx context.Context, institution, id string, disabled bool) error
	Records(ctx context.Context, q server.RecordQuery) ([]server.StoredRecord, error)
	CountRecords(ctx context.Context, q server.RecordQuery) (int, error)
	EachRecord(ctx context.Context, q server.RecordQuery, fn func(*server.StoredRecord) error) error
	GateHours(ctx context.Context, institution string, from, to time.Time) ([]server.GateHour, error)
	Alerts(ctx context.Context, institution string) ([]server.Alert, error)
	Audit(ctx context.Context, institution string, limit int) ([]server.AuditEntry, error)
	Institution(ctx context.Context, name string) (server.Institution, error)
	Institutions(ctx context.Context, state string) ([]server.Institution, error)
	RosterMembers(ctx context.Context, institution string) ([]server.RosterMember, error)
	RosterAlerts(ctx context.Context, institution string, since time.Time) ([]server.RosterAlert, error)
	Staff(ctx context.Context, institution string) ([]server.StaffMember, error)
}

// Province is the work of the server the portal asks for (*server.Server
// does it).
type Province interface {
	NewTokenBy(ctx context.Context, kind, institution, gate, madeBy string) (string, server.Token, error)
	CloseContacts(ctx context.Context, institution, deviceID, recordID string, window time.Duration) (server.StoredRecord, []server.StoredRecord, error)
	OpenIdentity(ctx context.Context, institution, actor, deviceID, recordID, reason string) (healthcode.SealedIdentity, server.StoredRecord, error)
	Register(ctx context.Context, in server.Institution) (string, error)
	DecideInstitution(ctx context.Context, name string, approve bool, by, note string) (server.Institution, error)
	// The institution's own people (people.go, roster.go).
	AddRosterMembers(ctx context.Context, institution string, entries []server.RosterEntry) ([]server.RosterMember, error)
	RemoveRosterMembers(ctx context.Context, institution string, ids []string) error
	ConfirmRosterMember(ctx context.Context, institution, id, into string) error
	MorningView(ctx context.Context, institution string, day time.Time) (*server.MorningView, error)
	GroupContacts(ctx context.Context, institution, memberID string, from, to time.Time, window time.Duration) (*server.GroupContacts, error)
	OpenRoster(ctx context.Context, institution, actor, what, reason string) error
	AddStaff(ctx context.Context, institution, name, phone, role string) (server.StaffMember, string, error)
	SetStaffDisabled(ctx context.Context, institution, id string, disabled bool) error
	ResetStaffPIN(ctx context.Context, institution, id string) (string, error)
}

// Config configures a Portal.
type Config struct {
	Store    Store
	Province Province
	// Logger gets the portal's log; nil discards it.
	Logger *slog.Logger
	// Now is the clock (the server's, so tests move both); nil is time.Now.
	Now func() time.Time
	// Zone shows times of pages without an institution (login, province);
	// nil is server.DefaultLocation().
	Zone *time.Location
	// Limits slow down wrong logins; zero fields take the defaults.
	Limits LoginLimits
}

// Portal serves the pages under /portal/; server.Server.Handler mounts it.
type Portal struct {
	store    Store
	province Province
	log      *slog.Logger
	now      func() time.Time
	zone     *time.Location
	pages    *template.Template
	limiter  *loginLimiter
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
	if cfg.Zone == nil {
		cfg.Zone = server.DefaultLocation()
	}
	pages, err := parseTemplates()
	if err != nil {
		return nil, fmt.Errorf("portal templates: %w", err)
	}
	return &Portal{store: cfg.Store, province: cfg.Province, log: cfg.Logger, now: cfg.Now, zone: cfg.Zone, pages: pages,
		limiter: newLoginLimiter(cfg.Limits, cfg.Now)}, nil
}

// route is one page: its method and path, who may see it (a role of
// Login.can; "" for everyone, logged in or not) and its handler.
type route struct {
	method, path string
	role         string
	page         pageHandler
}

// pageHandler serves a page; login is nil on public pages.
type pageHandler func(w http.ResponseWriter, r *http.Request, login *Login)

// routes is the portal's table of pages. A new page is a line here, a
// handler, a template file and (if it is in the menu) a line in menu.
func (p *Portal) routes() []route {
	return []route{
		{"GET", "/portal/login", "", p.loginForm},
		{"POST", "/portal/login", "", p.login},
		{"GET", "/portal/lang", "", p.switchLanguage},
		{"GET", "/portal/register", "", p.registerForm},
		{"POST", "/portal/register", "", p.register},
		{"POST", "/portal/logout", roleAny, p.logout},
		{"GET", "/portal/{$}", roleRecords, p.today},
		{"GET", "/portal/records", roleRecords, p.records},
		{"GET", "/portal/records.csv", roleRecords, p.exportCSV},
		{"GET", "/portal/records.xlsx", roleRecords, p.exportXLSX},
		{"GET", "/portal/people", roleRecords, p.people},
		{"GET", "/portal/people.csv", roleRecords, p.peopleCSV},
		{"GET", "/portal/people.xlsx", roleRecords, p.peopleXLSX},
		{"GET", "/portal/people/summary.csv", roleRecords, p.summaryCSV},
		{"GET", "/portal/people/summary.xlsx", roleRecords, p.summaryXLSX},
		{"GET", "/portal/people/contacts", roleRecords, p.peopleContacts},
		{"GET", "/portal/roster", roleRecords, p.roster},
		{"POST", "/portal/roster/add", roleAdmin, p.rosterAdd},
		{"POST", "/portal/roster/import", roleAdmin, p.rosterImport},
		{"POST", "/portal/roster/remove", roleAdmin, p.rosterRemove},
		{"POST", "/portal/roster/confirm", roleAdmin, p.rosterConfirm},
		{"GET", "/portal/contacts", roleRecords, p.contacts},
		{"POST", "/portal/identity", roleTracing, p.identity},
		{"GET", "/portal/gates", roleRecords, p.gates},
		{"POST", "/portal/tokens", roleAdmin, p.newEnrolToken},
		{"POST", "/portal/devices", roleAdmin, p.device},
		{"GET", "/portal/staff", roleAdmin, p.staff},
		{"POST", "/portal/staff", roleAdmin, p.addStaff},
		{"POST", "/portal/staff/change", roleAdmin, p.changeStaff},
		{"GET", "/portal/logins", roleAdmin, p.logins},
		{"POST", "/portal/logins", roleAdmin, p.newLogin},
		{"POST", "/portal/logins/revoke", roleAdmin, p.revokeLogin},
		{"GET", "/portal/audit", roleRecords, p.audit},
		{"GET", "/portal/province", roleProvince, p.provinceHome},
		{"POST", "/portal/province/decide", roleProvince, p.decide},
	}
}

// menuItem is an entry of the navigation bar, shown to logins that can role.
type menuItem struct {
	nav, href, label, role string
}

// menu is the navigation bar, in order.
var menu = []menuItem{
	{"today", "/portal/", "nav.today", roleRecords},
	{"people", "/portal/people", "nav.people", roleRecords},
	{"roster", "/portal/roster", "nav.roster", roleRecords},
	{"records", "/portal/records", "nav.records", roleRecords},
	{"contacts", "/portal/contacts", "nav.contacts", roleRecords},
	{"gates", "/portal/gates", "nav.gates", roleRecords},
	{"staff", "/portal/staff", "nav.staff", roleAdmin},
	{"logins", "/portal/logins", "nav.logins", roleAdmin},
	{"audit", "/portal/audit", "nav.audit", roleRecords},
	{"province", "/portal/province", "nav.province", roleProvince},
}

// MenuEntry is a navigation link as the layout draws it.
type MenuEntry struct {
	Href, Label string
	Current     bool
}

// Menu is the navigation bar of the frame's login.
func (f Frame) Menu() []MenuEntry {
	var out []MenuEntry
	for _, m := range menu {
		if f.Can(m.role) {
			out = append(out, MenuEntry{Href: m.href, Label: m.label, Current: m.nav == f.Nav})
		}
	}
	return out
}

// Routes adds the portal's pages to the server's mux. Each path is
// registered once for all methods, so a wrong method gets an HTML page too.
func (p *Portal) Routes(mux *http.ServeMux) {
	byPath := map[string][]route{}
	var order []string
	for _, rt := range p.routes() {
		if byPath[rt.path] == nil {
			order = append(order, rt.path)
		}
		byPath[rt.path] = append(byPath[rt.path], rt)
	}
	for _, path := range order {
		mux.Handle(path, p.dispatch(byPath[path]))
	}
	mux.HandleFunc("/portal/static/", p.static)
	mux.HandleFunc("/portal/", p.NotFound)
}

func (p *Portal) dispatch(rts []route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, rt := range rts {
			if rt.method == r.Method || rt.method == http.MethodGet && r.Method == http.MethodHead {
				if rt.role == "" {
					rt.page(w, r, nil)
				} else {
					p.loggedIn(rt.role, rt.page)(w, r)
				}
				return
			}
		}
		w.Header().Set("Allow", rts[0].method)
		login, err := p.session(r)
		if err != nil {
			login = nil
		}
		p.fail(w, r, login, http.StatusMethodNotAllowed, text(language(r), "error.method"))
	})
}
