package portal

import (
	"fmt"
	"net/http"

	"hcscan/server"
)

// peopleColumns are the columns of a day's export, one row per member.
var peopleColumns = []string{"col.date", "people.group", "col.name", "people.role", "people.checked", "people.first", "col.gate",
	"col.temp", "col.verdict", "people.checks", "people.maxtemp", "col.fever", "people.stopped", "col.colour", "people.turned", "people.linked"}

// summaryColumns are the columns of the daily summary, one row per group
// and one for the institution.
var summaryColumns = []string{"col.date", "people.group", "people.role", "people.expected", "people.checked", "people.absent",
	"col.fever", "people.stopped", "colour.yellow", "colour.red"}

func (p *Portal) peopleCSV(w http.ResponseWriter, r *http.Request, login *Login) {
	p.peopleExport(w, r, login, "csv", false)
}

func (p *Portal) peopleXLSX(w http.ResponseWriter, r *http.Request, login *Login) {
	p.peopleExport(w, r, login, "xlsx", false)
}

func (p *Portal) summaryCSV(w http.ResponseWriter, r *http.Request, login *Login) {
	p.peopleExport(w, r, login, "csv", true)
}

func (p *Portal) summaryXLSX(w http.ResponseWriter, r *http.Request, login *Login) {
	p.peopleExport(w, r, login, "xlsx", true)
}

// peopleExport writes a day of the morning view (summary: the counts per
// group) as CSV or XLSX, in the person's language.
func (p *Portal) peopleExport(w http.ResponseWriter, r *http.Request, login *Login, format string, summary bool) {
	f := p.frame(r, login, "people.title", "people")
	day, msg := readDay(r, &f)
	what := "people export " + day.Format(dateForm)
	if summary {
		what = "daily summary " + day.Format(dateForm)
	}
	if _, ok := p.rosterGate(w, r, login, &f, what); !ok {
		return
	}
	if msg != "" {
		p.fail(w, r, login, http.StatusBadRequest, msg)
		return
	}
	v, err := p.province.MorningView(r.Context(), login.Institution, day)
	if err != nil {
		p.failInternal(w, r, login, "morning view", err)
		return
	}
	name, cols := "people", peopleColumns
	if summary {
		name, cols = "summary", summaryColumns
	}
	securePage(w)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s.%s"`, name, day.Format("20060102"), format))
	var rows RowWriter
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		rows = NewCSV(w)
	} else {
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		if rows, err = NewXLSX(w, name); err != nil {
			p.failInternal(w, r, login, "export", err)
			return
		}
	}
	head := make([]any, len(cols))
	for i, c := range cols {
		head[i] = f.T(c)
	}
	err = rows.Row(head)
	date := day.Format(dateForm)
	for _, g := range v.Groups {
		if err != nil {
			break
		}
		if summary {
			err = rows.Row(summaryRow(date, g.Group, f.MemberRole(g.Role), g.Counts))
			continue
		}
		for i := range g.Members {
			if err = rows.Row(personRow(&f, date, &g.Members[i])); err != nil {
				break
			}
		}
	}
	if err == nil && summary {
		err = rows.Row(summaryRow(date, f.T("people.total"), "", v.Totals))
	}
	if err == nil {
		err = rows.Close()
	}
	if err != nil {
		if x, ok := rows.(*xlsxRows); ok {
			x.f.Close()
		}
		p.log.Error("portal people export", "institution", login.Institution, "format", format, "err", err)
		panic(http.ErrAbortHandler)
	}
	p.log.Info("portal people export", "institution", login.Institution, "actor", login.Actor, "format", format, "summary", summary, "day", date)
}

func summaryRow(date, group, role string, c server.DayCounts) []any {
	return []any{date, group, role, c.Expected, c.Checked, c.Absent, c.Fever, c.Stopped, c.Yellow, c.Red}
}

func personRow(f *Frame, date string, d *server.MemberDay) []any {
	m := &d.Member
	row := []any{date, m.Group, m.Name, f.MemberRole(m.Role), d.Checked()}
	if d.Checked() {
		var temp any
		if d.First.Temperature != 0 {
			temp = d.First.Temperature.Celsius()
		}
		row = append(row, f.Time(d.First.At), d.First.Gate, temp, f.Verdict(d.First.Verdict), d.Checks)
	} else {
		row = append(row, "", "", nil, "", 0)
	}
	var maxTemp any
	if d.MaxTemperature != 0 {
		maxTemp = d.MaxTemperature.Celsius()
	}
	colour := ""
	if d.Colour.Valid() {
		colour = f.Colour(d.Colour)
	}
	turned := ""
	if !d.Turned.IsZero() {
		turned = f.Time(d.Turned)
	}
	return append(row, maxTemp, d.Fever, d.Stopped, colour, turned, m.IsLinked())
}
