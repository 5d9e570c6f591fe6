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

// maxWindowMinutes is the widest close-contact window: a day either side.
const maxWindowMinutes = 24 * 60

type contactsForm struct {
	Device, Record, Window string
}

type contactsPage struct {
	Frame
	Form      contactsForm
	MaxWindow int
	Check     *server.StoredRecord
	Window    int
	Rows      []server.StoredRecord // this page of contacts
	Pager     Pager
	Sealed    []server.StoredRecord // the check and the contacts of this page with a sealed identity
}

// contacts answers the close-contact query: everyone who passed the same
// gate within ± window minutes of one check, a page at a time. A window
// that is not a number of minutes in 1..1440 is an error, not a default.
func (p *Portal) contacts(w http.ResponseWriter, r *http.Request, login *Login) {
	in := r.URL.Query()
	page := contactsPage{Frame: p.frame(r, login, "contacts.title", "contacts"), MaxWindow: maxWindowMinutes,
		Form: contactsForm{Device: strings.TrimSpace(in.Get("device")), Record: strings.TrimSpace(in.Get("record")), Window: strings.TrimSpace(in.Get("window"))}}
	if page.Form.Window == "" {
		page.Form.Window = "30"
	}
	if page.Form.Device == "" && page.Form.Record == "" {
		page.Notice = page.T("contacts.start")
		p.render(w, http.StatusOK, "contacts", page)
		return
	}
	minutes, err := strconv.Atoi(page.Form.Window)
	if err != nil || minutes < 1 || minutes > maxWindowMinutes {
		page.Error = page.Tf("contacts.badwindow", page.Form.Window, maxWindowMinutes)
		p.render(w, http.StatusBadRequest, "contacts", page)
		return
	}
	rec, all, err := p.province.CloseContacts(r.Context(), login.Institution, page.Form.Device, page.Form.Record, time.Duration(minutes)*time.Minute)
	if errors.Is(err, server.ErrNotFound) {
		page.Error = page.T("contacts.nocheck")
		p.render(w, http.StatusNotFound, "contacts", page)
		return
	}
	if err != nil {
		p.failInternal(w, r, login, "close contacts", err)
		return
	}
	page.Check, page.Window = &rec, minutes
	page.Pager = newPager(&page.Frame, len(all), in.Get("p"))
	from := (page.Pager.Page - 1) * pageSize
	page.Rows = all[from:min(from+pageSize, len(all))]
	page.Pager.offsetLinks("/portal/contacts", url.Values{"device": {page.Form.Device}, "record": {page.Form.Record}, "window": {page.Form.Window}})
	for _, c := range append([]server.StoredRecord{rec}, page.Rows...) {
		if len(c.Sealed) > 0 {
			page.Sealed = append(page.Sealed, c)
		}
	}
	p.render(w, http.StatusOK, "contacts", page)
}

type identityPage struct {
	Frame
	Record server.StoredRecord
	Name   string
	ID     string
	Phone  string
	Reason string
}

// identity opens one sealed identity for a tracing login (audited first).
func (p *Portal) identity(w http.ResponseWriter, r *http.Request, login *Login) {
	f := p.frame(r, login, "identity.title", "contacts")
	reason := r.PostFormValue("reason")
	id, rec, err := p.province.OpenIdentity(r.Context(), login.Institution, login.Actor, r.PostFormValue("device"), r.PostFormValue("record"), reason)
	switch {
	case err == nil:
	case errors.Is(err, server.ErrNotFound):
		p.fail(w, r, login, http.StatusNotFound, f.T("contacts.nocheck"))
		return
	case errors.Is(err, server.ErrNoReason):
		p.fail(w, r, login, http.StatusBadRequest, f.T("sealed.noreason"))
		return
	case errors.Is(err, server.ErrNotSealed):
		p.fail(w, r, login, http.StatusBadRequest, f.T("sealed.notsealed"))
		return
	default:
		p.failInternal(w, r, login, "open identity", err)
		return
	}
	p.render(w, http.StatusOK, "identity", identityPage{Frame: f, Record: rec, Name: id.Name, ID: id.ID, Phone: id.Phone, Reason: reason})
}
