package portal

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"hcscan/healthcode"
	"hcscan/server"
)

// rosterImportBody is the largest roster file upload (a file of 20,000
// people is about half of it).
const rosterImportBody = 4<<20 + 64<<10

type rosterPage struct {
	Frame
	Groups      []server.GroupInfo
	Linked      map[string]int // linked members per group
	Group       string         // the group listed ("" for all)
	Rows        []server.RosterMember
	Pager       Pager
	Unconfirmed []unconfirmedRow
	Roles       []healthcode.Role
	DefaultRole healthcode.Role // the role most people on the roster have
	Reason      string
	Total       int
	PeopleLink  string
}

// unconfirmedRow is a person the gate added without a single matching
// entry, with the entries (not yet linked) of the group they may be.
type unconfirmedRow struct {
	Member     server.RosterMember
	Candidates []server.RosterMember
}

// GroupLink lists one group of the roster.
func (pg rosterPage) GroupLink(group string) string {
	v := url.Values{}
	if group != "" {
		v.Set("group", group)
	}
	return peopleLink("/portal/roster", v, pg.Reason)
}

func (p *Portal) rosterData(r *http.Request, login *Login, page *rosterPage) error {
	ms, err := p.store.RosterMembers(r.Context(), login.Institution)
	if err != nil {
		return err
	}
	page.Roles, page.Total = healthcode.Roles, len(ms)
	page.Groups, page.Linked = server.RosterGroups(ms), map[string]int{}
	byRole := map[healthcode.Role]int{}
	for _, m := range ms {
		byRole[m.Role]++
	}
	page.DefaultRole = healthcode.RoleStaff
	for _, r := range healthcode.Roles {
		if byRole[r] > byRole[page.DefaultRole] {
			page.DefaultRole = r
		}
	}
	page.PeopleLink = peopleLink("/portal/people", url.Values{}, page.Reason)
	var rows []server.RosterMember
	for _, m := range ms {
		if m.IsLinked() {
			page.Linked[m.Group]++
		}
		if page.Group == "" || m.Group == page.Group {
			rows = append(rows, m)
		}
		if m.Unconfirmed {
			u := unconfirmedRow{Member: m}
			for _, c := range ms {
				if !c.IsLinked() && c.Group == m.Group {
					u.Candidates = append(u.Candidates, c)
				}
			}
			page.Unconfirmed = append(page.Unconfirmed, u)
		}
	}
	page.Pager = newPager(&page.Frame, len(rows), r.URL.Query().Get("p"))
	from := (page.Pager.Page - 1) * pageSize
	page.Rows = rows[from:min(from+pageSize, len(rows))]
	v := url.Values{}
	if page.Group != "" {
		v.Set("group", page.Group)
	}
	if page.Reason != "" {
		v.Set("reason", page.Reason)
	}
	page.Pager.offsetLinks("/portal/roster", v)
	return nil
}

// roster lists the institution's people by group; its admin adds people,
// imports a file, removes people and settles those the gate added.
func (p *Portal) roster(w http.ResponseWriter, r *http.Request, login *Login) {
	page := rosterPage{Frame: p.frame(r, login, "roster.title", "roster"), Group: r.URL.Query().Get("group")}
	reason, ok := p.rosterGate(w, r, login, &page.Frame, "roster")
	if !ok {
		return
	}
	page.Reason = reason
	if err := p.rosterData(r, login, &page); err != nil {
		p.failInternal(w, r, login, "roster", err)
		return
	}
	p.render(w, http.StatusOK, "roster", page)
}

// rosterDone shows the roster again after a change: a notice, or the
// error of the form with a 400.
func (p *Portal) rosterDone(w http.ResponseWriter, r *http.Request, login *Login, notice, errMsg string) {
	page := rosterPage{Frame: p.frame(r, login, "roster.title", "roster")}
	page.Notice, page.Error = notice, errMsg
	if err := p.rosterData(r, login, &page); err != nil {
		p.failInternal(w, r, login, "roster", err)
		return
	}
	status := http.StatusOK
	if errMsg != "" {
		status = http.StatusBadRequest
	}
	p.render(w, status, "roster", page)
}

// rosterAdd puts one person on the roster.
func (p *Portal) rosterAdd(w http.ResponseWriter, r *http.Request, login *Login) {
	f := p.frame(r, login, "roster.title", "roster")
	role, err := healthcode.ParseRole(r.PostFormValue("role"))
	if err != nil {
		p.rosterDone(w, r, login, "", f.T("roster.badrole"))
		return
	}
	e := server.RosterEntry{Name: r.PostFormValue("name"), Group: r.PostFormValue("group"), Role: role}
	if _, err := p.province.AddRosterMembers(r.Context(), login.Institution, []server.RosterEntry{e}); err != nil {
		p.rosterDone(w, r, login, "", f.Tf("roster.adderror", err.Error()))
		return
	}
	p.rosterDone(w, r, login, f.Tf("roster.added", 1), "")
}

// rosterImport adds the people of an uploaded file (name, group, role).
// A file with a mistake adds nobody and says which line.
func (p *Portal) rosterImport(w http.ResponseWriter, r *http.Request, login *Login) {
	f := p.frame(r, login, "roster.title", "roster")
	file, _, err := r.FormFile("file")
	if err != nil {
		p.rosterDone(w, r, login, "", f.T("roster.nofile"))
		return
	}
	defer file.Close()
	entries, err := server.ParseRosterCSV(file)
	if err == nil {
		_, err = p.province.AddRosterMembers(r.Context(), login.Institution, entries)
	}
	if err != nil {
		p.rosterDone(w, r, login, "", f.Tf("roster.importerror", err.Error()))
		return
	}
	p.log.Info("roster imported in the portal", "institution", login.Institution, "actor", login.Actor, "people", len(entries))
	p.rosterDone(w, r, login, f.Tf("roster.added", len(entries)), "")
}

// rosterRemove takes the ticked people off the roster.
func (p *Portal) rosterRemove(w http.ResponseWriter, r *http.Request, login *Login) {
	f := p.frame(r, login, "roster.title", "roster")
	ids := r.PostForm["member"]
	if len(ids) == 0 {
		p.rosterDone(w, r, login, "", f.T("roster.nonechosen"))
		return
	}
	err := p.province.RemoveRosterMembers(r.Context(), login.Institution, ids)
	if errors.Is(err, server.ErrNotFound) {
		p.rosterDone(w, r, login, "", f.T("roster.gone"))
		return
	}
	if err != nil {
		p.failInternal(w, r, login, "roster remove", err)
		return
	}
	p.rosterDone(w, r, login, f.Tf("roster.removed", len(ids)), "")
}

// rosterConfirm settles a person the gate added: the entry they are, or
// kept as they are.
func (p *Portal) rosterConfirm(w http.ResponseWriter, r *http.Request, login *Login) {
	f := p.frame(r, login, "roster.title", "roster")
	err := p.province.ConfirmRosterMember(r.Context(), login.Institution, r.PostFormValue("member"), strings.TrimSpace(r.PostFormValue("into")))
	if errors.Is(err, server.ErrNotFound) {
		p.rosterDone(w, r, login, "", f.T("roster.gone"))
		return
	}
	if err != nil {
		p.rosterDone(w, r, login, "", f.Tf("roster.adderror", err.Error()))
		return
	}
	p.rosterDone(w, r, login, f.T("roster.confirmed"), "")
}
