package portal

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"hcscan/server"
)

type peopleContactsPage struct {
	Frame
	Day      string
	Window   int
	Contacts *server.GroupContacts
	Reason   string
	Back     string
}

// peopleContacts lists the close contacts of one member on a day: the
// rest of the member's group, and who passed the gates the member passed
// within ± window minutes.
func (p *Portal) peopleContacts(w http.ResponseWriter, r *http.Request, login *Login) {
	page := peopleContactsPage{Frame: p.frame(r, login, "people.contacts.title", "people")}
	in := r.URL.Query()
	day, msg := readDay(r, &page.Frame)
	page.Day = day.Format(dateForm)
	member := strings.TrimSpace(in.Get("member"))
	reason, ok := p.rosterGate(w, r, login, &page.Frame, "close contacts by group "+member+" "+page.Day)
	if !ok {
		return
	}
	page.Reason = reason
	page.Back = peopleLink("/portal/people", url.Values{"day": {page.Day}}, reason)
	minutes, err := strconv.Atoi(strings.TrimSpace(in.Get("window")))
	if msg == "" && (err != nil || minutes < 1 || minutes > maxWindowMinutes) {
		msg = page.Tf("contacts.badwindow", in.Get("window"), maxWindowMinutes)
	}
	if msg != "" {
		page.Error = msg
		p.render(w, http.StatusBadRequest, "peoplecontacts", page)
		return
	}
	page.Window = minutes
	gc, err := p.province.GroupContacts(r.Context(), login.Institution, member, day, day.AddDate(0, 0, 1), time.Duration(minutes)*time.Minute)
	if errors.Is(err, server.ErrNotFound) {
		page.Error = page.T("people.nomember")
		p.render(w, http.StatusNotFound, "peoplecontacts", page)
		return
	}
	if err != nil {
		p.failInternal(w, r, login, "group contacts", err)
		return
	}
	page.Contacts = gc
	p.render(w, http.StatusOK, "peoplecontacts", page)
}
