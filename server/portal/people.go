package portal

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"hcscan/healthcode"
	"hcscan/server"
)

// The institution's own people: the morning view of a day (who was
// checked, who not yet, fevers, stops, codes turned yellow or red), the
// daily summary, their exports, and close contacts by group. The
// institution's logins see them; the province's tracing staff give a
// reason first, which is written to the audit list before anything shows.

// MemberRole names what a member is to the institution.
func (f Frame) MemberRole(r healthcode.Role) string { return f.T("member." + r.String()) }

// Temperature is a reading with its unit, "" when none was taken.
func (f Frame) Temperature(t healthcode.Temperature) string {
	if t == 0 {
		return ""
	}
	return t.String() + " °C"
}

// rosterGate lets the institution's own logins through. The province's
// tracing staff must give a reason (the reason query field): it goes to
// the audit list, naming what was opened, before the page shows anything;
// without one the page asks for it. It answers false when it has answered.
func (p *Portal) rosterGate(w http.ResponseWriter, r *http.Request, login *Login, f *Frame, what string) (reason string, ok bool) {
	if login.Kind != server.TokenTracing {
		return "", true
	}
	q := r.URL.Query()
	reason = strings.TrimSpace(q.Get("reason"))
	page := reasonPage{Frame: *f, Action: r.URL.Path}
	q.Del("reason")
	for k, vs := range q {
		for _, v := range vs {
			page.Keep = append(page.Keep, [2]string{k, v})
		}
	}
	if reason == "" {
		page.Notice = f.T("people.reason.help")
		p.render(w, http.StatusOK, "reason", page)
		return "", false
	}
	if err := p.province.OpenRoster(r.Context(), login.Institution, login.Actor, what, reason); err != nil {
		if errors.Is(err, server.ErrNoReason) {
			page.Error = f.T("people.reason.bad")
			p.render(w, http.StatusBadRequest, "reason", page)
			return "", false
		}
		p.failInternal(w, r, login, "audit roster opening", err)
		return "", false
	}
	return reason, true
}

type reasonPage struct {
	Frame
	Action string
	Keep   [][2]string // the page's other query fields
}

// peopleLink is a link to a page of the people pages, keeping the
// tracing reason.
func peopleLink(path string, v url.Values, reason string) string {
	if reason != "" {
		v.Set("reason", reason)
	}
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

type peoplePage struct {
	Frame
	View       *server.MorningView
	Day        string // YYYY-MM-DD in the institution's zone
	Group      string // "" for every group
	Show       string // "", "absent", "fever", "stopped": which members are listed
	Groups     []server.GroupDay
	GroupNames []string
	Reason     string
	Links      peopleLinks
	Listed     int // members listed under the groups
}

type peopleLinks struct {
	Prev, Next, Today                  string
	CSV, XLSX, SummaryCSV, SummaryXLSX string
	Roster                             string
}

// readDay is the day asked (?day=YYYY-MM-DD, in the institution's zone),
// today by default; msg says what is wrong with it.
func readDay(r *http.Request, f *Frame) (time.Time, string) {
	s := strings.TrimSpace(r.URL.Query().Get("day"))
	if s == "" {
		return server.DayStart(f.Now, f.Zone), ""
	}
	t, err := time.ParseInLocation(dateForm, s, f.Zone)
	if err != nil {
		return server.DayStart(f.Now, f.Zone), f.Tf("people.badday", s)
	}
	return t, ""
}

// people is the morning view: the institution's people on one day.
func (p *Portal) people(w http.ResponseWriter, r *http.Request, login *Login) {
	page := peoplePage{Frame: p.frame(r, login, "people.title", "people")}
	day, msg := readDay(r, &page.Frame)
	page.Day = day.Format(dateForm)
	reason, ok := p.rosterGate(w, r, login, &page.Frame, "morning view "+page.Day)
	if !ok {
		return
	}
	page.Reason = reason
	if msg != "" {
		page.Error = msg
		p.render(w, http.StatusBadRequest, "people", page)
		return
	}
	v, err := p.province.MorningView(r.Context(), login.Institution, day)
	if err != nil {
		p.failInternal(w, r, login, "morning view", err)
		return
	}
	page.View = v
	in := r.URL.Query()
	page.Group, page.Show = in.Get("group"), in.Get("show")
	switch page.Show {
	case "", "absent", "fever", "stopped":
	default:
		page.Show = ""
	}
	for _, g := range v.Groups {
		page.GroupNames = append(page.GroupNames, g.Group)
		if page.Group != "" && g.Group != page.Group {
			continue
		}
		g.Members = filterMembers(g.Members, page.Show)
		page.Listed += len(g.Members)
		page.Groups = append(page.Groups, g)
	}
	keep := func(extra url.Values) url.Values {
		v := url.Values{"day": {page.Day}}
		for k, vs := range extra {
			v[k] = vs
		}
		return v
	}
	dayLink := func(d time.Time) string {
		v := url.Values{"day": {d.Format(dateForm)}}
		if page.Group != "" {
			v.Set("group", page.Group)
		}
		return peopleLink("/portal/people", v, reason)
	}
	page.Links = peopleLinks{
		Prev: dayLink(day.AddDate(0, 0, -1)), Today: peopleLink("/portal/people", url.Values{}, reason),
		CSV: peopleLink("/portal/people.csv", keep(nil), reason), XLSX: peopleLink("/portal/people.xlsx", keep(nil), reason),
		SummaryCSV:  peopleLink("/portal/people/summary.csv", keep(nil), reason),
		SummaryXLSX: peopleLink("/portal/people/summary.xlsx", keep(nil), reason),
		Roster:      peopleLink("/portal/roster", url.Values{}, reason),
	}
	if !v.Current {
		page.Links.Next = dayLink(day.AddDate(0, 0, 1))
	}
	p.render(w, http.StatusOK, "people", page)
}

func filterMembers(ms []server.MemberDay, show string) []server.MemberDay {
	if show == "" {
		return ms
	}
	var out []server.MemberDay
	for _, d := range ms {
		if show == "absent" && !d.Checked() || show == "fever" && d.Fever || show == "stopped" && d.Stopped {
			out = append(out, d)
		}
	}
	return out
}

// GroupLink is the people page of one group (with show, "" for all of it).
func (pg peoplePage) GroupLink(group, show string) string {
	v := url.Values{"day": {pg.Day}}
	if group != "" {
		v.Set("group", group)
	}
	if show != "" {
		v.Set("show", show)
	}
	return peopleLink("/portal/people", v, pg.Reason)
}

// ContactsLink is the close contacts by group of a member on the page's day.
func (pg peoplePage) ContactsLink(member string) string {
	return peopleLink("/portal/people/contacts", url.Values{"member": {member}, "day": {pg.Day}, "window": {"30"}}, pg.Reason)
}

// countsRow is one row of the daily summary as the template draws it.
type countsRow struct {
	F      Frame
	C      server.DayCounts
	Absent string // "absent", or "not yet checked" while the day is on
}

// Counts is a row of the daily summary.
func (pg peoplePage) Counts(c server.DayCounts) countsRow {
	r := countsRow{F: pg.Frame, C: c, Absent: pg.T("people.absent")}
	if pg.View != nil && pg.View.Current {
		r.Absent = pg.T("people.notyet")
	}
	return r
}
