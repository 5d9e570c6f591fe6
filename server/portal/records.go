package portal

import (
	"math"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"hcscan/healthcode"
	"hcscan/server"
)

// recordForm is the records filter as typed (dates in the institution's zone).
type recordForm struct {
	From, To, Gate, Verdict, Colour, Operator, Name string
	Fever                                           bool
}

func (f recordForm) values() url.Values {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	set("from", f.From)
	set("to", f.To)
	set("gate", f.Gate)
	set("verdict", f.Verdict)
	set("colour", f.Colour)
	set("operator", f.Operator)
	set("name", f.Name)
	if f.Fever {
		v.Set("fever", "1")
	}
	return v
}

const dateForm = "2006-01-02"

// parseRecordForm reads the filter of a records page or export into a
// query; a value that is not understood is an error for the person (in
// their language), never silently dropped.
func parseRecordForm(r *http.Request, f *Frame, institution string) (recordForm, server.RecordQuery, string) {
	in := r.URL.Query()
	form := recordForm{
		From: strings.TrimSpace(in.Get("from")), To: strings.TrimSpace(in.Get("to")), Gate: in.Get("gate"),
		Verdict: in.Get("verdict"), Colour: in.Get("colour"), Fever: in.Get("fever") != "",
		Operator: strings.TrimSpace(in.Get("operator")), Name: strings.TrimSpace(in.Get("name")),
	}
	q := server.RecordQuery{Institution: institution, Gate: form.Gate, Fever: form.Fever, Operator: form.Operator, Name: form.Name}
	day := func(s, what string) (time.Time, string) {
		if s == "" {
			return time.Time{}, ""
		}
		t, err := time.ParseInLocation(dateForm, s, f.Zone)
		if err != nil {
			return t, f.Tf("filter.baddate", f.T(what), s)
		}
		return t, ""
	}
	var msg string
	if q.From, msg = day(form.From, "filter.from"); msg != "" {
		return form, q, msg
	}
	to, msg := day(form.To, "filter.to")
	if msg != "" {
		return form, q, msg
	}
	if !to.IsZero() {
		q.To = to.AddDate(0, 0, 1)
		if !q.From.IsZero() && q.To.Before(q.From.AddDate(0, 0, 1)) {
			return form, q, f.T("filter.badrange")
		}
	}
	switch form.Verdict {
	case "":
	case "pass", "stop", "invalid":
		_ = q.Verdict.UnmarshalText([]byte(form.Verdict))
	default:
		return form, q, f.Tf("filter.badvalue", f.T("col.verdict"), form.Verdict)
	}
	switch form.Colour {
	case "":
	case "green", "yellow", "red":
		_ = q.Colour.UnmarshalText([]byte(form.Colour))
	default:
		return form, q, f.Tf("filter.badvalue", f.T("col.colour"), form.Colour)
	}
	if len(form.Name) > 64 || len(form.Operator) > 128 || len(form.Gate) > 128 {
		return form, q, f.T("filter.toolong")
	}
	return form, q, ""
}

type recordsPage struct {
	Frame
	Form          recordForm
	GateNames     []string
	OperatorNames []string
	Verdicts      []string
	Colours       []string
	Rows          []server.StoredRecord
	Pager         Pager
	ExportCSV     string
	ExportXLSX    string
}

func (p *Portal) records(w http.ResponseWriter, r *http.Request, login *Login) {
	page := recordsPage{Frame: p.frame(r, login, "records.title", "records"),
		Verdicts: []string{"pass", "stop", "invalid"}, Colours: []string{"green", "yellow", "red"}}
	var q server.RecordQuery
	var msg string
	page.Form, q, msg = parseRecordForm(r, &page.Frame, login.Institution)
	var err error
	if page.GateNames, err = p.gateNames(r, login.Institution); err != nil {
		p.failInternal(w, r, login, "records", err)
		return
	}
	page.GateNames = addName(page.GateNames, page.Form.Gate)
	page.Pager = newPager(&page.Frame, 0, "1")
	if msg != "" {
		page.Error = msg
		p.render(w, http.StatusBadRequest, "records", page)
		return
	}
	in := r.URL.Query()
	total, rows, err := p.countAndPage(r, q, in.Get("p"), in.Get("c"), in.Get("d"))
	if err != nil {
		p.failInternal(w, r, login, "records", err)
		return
	}
	page.Pager = newPager(&page.Frame, total, in.Get("p"))
	page.Rows = rows
	filter := page.Form.values()
	if len(page.Rows) > 0 {
		page.Pager.keysetLinks("/portal/records", filter, &page.Rows[0], &page.Rows[len(page.Rows)-1])
	}
	page.ExportCSV = "/portal/records.csv?" + filter.Encode()
	page.ExportXLSX = "/portal/records.xlsx?" + filter.Encode()
	seen := map[string]bool{}
	for i := range page.Rows {
		if o := page.Rows[i].Operator; !seen[o] {
			seen[o] = true
			page.OperatorNames = append(page.OperatorNames, o)
		}
	}
	sort.Strings(page.OperatorNames)
	p.render(w, http.StatusOK, "records", page)
}

// countAndPage counts what q selects and reads the page asked, at the
// same time (the two are separate index scans); only the last page, read
// from the oldest end, and a page number past the end wait for the total.
func (p *Portal) countAndPage(r *http.Request, q server.RecordQuery, asked, c, d string) (int, []server.StoredRecord, error) {
	type counted struct {
		n   int
		err error
	}
	count := make(chan counted, 1)
	go func() {
		n, err := p.store.CountRecords(r.Context(), q)
		count <- counted{n, err}
	}()
	var rows []server.StoredRecord
	var rerr error
	guess := newPager(nil, math.MaxInt32, asked)
	if d != "last" {
		rows, rerr = p.recordPage(r, q, guess, c, d)
	}
	res := <-count
	if res.err != nil {
		return 0, nil, res.err
	}
	if rerr != nil {
		return 0, nil, rerr
	}
	pg := newPager(nil, res.n, asked)
	if d == "last" || pg.Page != guess.Page {
		rows, rerr = p.recordPage(r, q, pg, c, d)
	}
	return res.n, rows, rerr
}

// recordPage reads the rows of page pg: through the cursor c in direction
// d when the link gave one, from the oldest end for the last page, else
// by offset (a page picked by number).
func (p *Portal) recordPage(r *http.Request, q server.RecordQuery, pg Pager, c, d string) ([]server.StoredRecord, error) {
	q.Limit = pageSize
	cur, hasCursor := decodeCursor(c)
	switch {
	case d == "last":
		q.Oldest, q.Limit = true, pg.Total-(pg.Pages-1)*pageSize
	case hasCursor && d == "newer":
		q.Oldest, q.After = true, cur
	case hasCursor && d == "older":
		q.After = cur
	default:
		q.Offset = (pg.Page - 1) * pageSize
	}
	if q.Limit <= 0 {
		return nil, nil
	}
	rows, err := p.store.Records(r.Context(), q)
	if q.Oldest {
		slices.Reverse(rows)
	}
	return rows, err
}

// gateNames are the institution's gates: of its devices and enrolment tokens.
func (p *Portal) gateNames(r *http.Request, institution string) ([]string, error) {
	devs, err := p.store.Devices(r.Context(), institution)
	if err != nil {
		return nil, err
	}
	toks, err := p.store.Tokens(r.Context(), institution)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, d := range devs {
		names = addName(names, d.Gate)
	}
	for _, t := range toks {
		if t.Kind == server.TokenEnroll {
			names = addName(names, t.Gate)
		}
	}
	sort.Strings(names)
	return names, nil
}

func addName(names []string, n string) []string {
	if n == "" || slices.Contains(names, n) {
		return names
	}
	return append(names, n)
}

// todayLinks are the records of one day with one filter each.
type todayLinks struct {
	All, Passed, Stopped, Fever, Invalid, Red, Yellow string
}

type gateRow struct {
	Gate  string
	Link  string
	Tally healthcode.Tally
}

type hourRow struct {
	Label string
	Tally healthcode.Tally
}

type todayPage struct {
	Frame
	Day     string
	Total   healthcode.Tally
	Links   todayLinks
	Gates   []gateRow
	Hours   []hourRow
	MaxHour int
	Alerts  []server.Alert
	// People are today's alerts about the institution's own people.
	People []server.RosterAlert
}

// today is the home page: today's checks in the institution's zone,
// totals per gate and per hour, each a link to its records, and alerts.
func (p *Portal) today(w http.ResponseWriter, r *http.Request, login *Login) {
	page := todayPage{Frame: p.frame(r, login, "today.title", "today")}
	now := page.Now.In(page.Zone)
	start := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, page.Zone)
	end := start.AddDate(0, 0, 1)
	page.Day = start.Format(dateForm)
	hours, err := p.store.GateHours(r.Context(), login.Institution, start, end)
	if err != nil {
		p.failInternal(w, r, login, "today", err)
		return
	}
	link := func(k, v string) string {
		q := url.Values{"from": {page.Day}, "to": {page.Day}}
		if k != "" {
			q.Set(k, v)
		}
		return "/portal/records?" + q.Encode()
	}
	page.Links = todayLinks{All: link("", ""), Passed: link("verdict", "pass"), Stopped: link("verdict", "stop"),
		Fever: link("fever", "1"), Invalid: link("verdict", "invalid"), Red: link("colour", "red"), Yellow: link("colour", "yellow")}
	byGate := map[string]*healthcode.Tally{}
	byHour := map[int64]*healthcode.Tally{}
	for _, gh := range hours {
		page.Total.Merge(gh.Tally)
		if byGate[gh.Gate] == nil {
			byGate[gh.Gate] = &healthcode.Tally{}
		}
		byGate[gh.Gate].Merge(gh.Tally)
		h := gh.Hour.Unix()
		if byHour[h] == nil {
			byHour[h] = &healthcode.Tally{}
		}
		byHour[h].Merge(gh.Tally)
	}
	for g, t := range byGate {
		q := url.Values{"from": {page.Day}, "to": {page.Day}, "gate": {g}}
		page.Gates = append(page.Gates, gateRow{Gate: g, Link: "/portal/records?" + q.Encode(), Tally: *t})
	}
	sort.Slice(page.Gates, func(i, j int) bool { return page.Gates[i].Gate < page.Gates[j].Gate })
	for h := start; h.Before(end); h = h.Add(time.Hour) {
		t := byHour[h.Unix()]
		if t == nil {
			continue
		}
		page.Hours = append(page.Hours, hourRow{Label: h.In(page.Zone).Format("15:00"), Tally: *t})
		page.MaxHour = max(page.MaxHour, t.Total)
	}
	alerts, err := p.store.Alerts(r.Context(), login.Institution)
	if err != nil {
		p.failInternal(w, r, login, "alerts", err)
		return
	}
	page.Alerts = alerts[:min(len(alerts), 20)]
	if page.People, err = p.store.RosterAlerts(r.Context(), login.Institution, start); err != nil {
		p.failInternal(w, r, login, "alerts about the institution's people", err)
		return
	}
	p.render(w, http.StatusOK, "today", page)
}
