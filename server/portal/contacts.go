package portal

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"hcscan/server"
)

type contactsPage struct {
	Institution string
	CSRF        string
	Check       server.StoredRecord
	Window      int
	Contacts    []server.StoredRecord
	Tracer      bool
	Sealed      []server.StoredRecord // the check and contacts with a sealed identity
}

func (p *Portal) contacts(w http.ResponseWriter, r *http.Request, sess session) {
	q := r.URL.Query()
	minutes, err := strconv.Atoi(q.Get("window"))
	if err != nil || minutes <= 0 || minutes > 24*60 {
		minutes = 30
	}
	rec, contacts, err := p.province.CloseContacts(r.Context(), sess.institution, q.Get("device"), q.Get("record"), time.Duration(minutes)*time.Minute)
	if errors.Is(err, server.ErrNotFound) {
		http.Error(w, "no such check in this institution's records", http.StatusNotFound)
		return
	}
	if err != nil {
		p.log.Error("portal contacts", "err", err)
		http.Error(w, "could not read the records", http.StatusInternalServerError)
		return
	}
	page := contactsPage{Institution: sess.institution, CSRF: sess.csrf, Check: rec, Window: minutes, Contacts: contacts, Tracer: sess.tracer()}
	for _, r := range append([]server.StoredRecord{rec}, contacts...) {
		if len(r.Sealed) > 0 {
			page.Sealed = append(page.Sealed, r)
		}
	}
	p.render(w, http.StatusOK, "contacts", page)
}

type identityPage struct {
	Institution string
	Record      server.StoredRecord
	Name        string
	ID          string
	Phone       string
	Reason      string
}

// portalIdentity opens one sealed identity for a tracing login (audited).
func (p *Portal) identity(w http.ResponseWriter, r *http.Request, sess session) {
	if !sess.tracer() {
		http.Error(w, server.ErrNotTracer.Error(), http.StatusForbidden)
		return
	}
	reason := r.PostFormValue("reason")
	id, rec, err := p.province.OpenIdentity(r.Context(), sess.institution, sess.actor, r.PostFormValue("device"), r.PostFormValue("record"), reason)
	switch {
	case err == nil:
	case errors.Is(err, server.ErrNotFound):
		http.Error(w, "no such check in this institution's records", http.StatusNotFound)
		return
	case errors.Is(err, server.ErrNoReason), errors.Is(err, server.ErrNotSealed):
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	default:
		p.log.Error("portal open identity", "err", err)
		http.Error(w, "could not open the sealed identity", http.StatusInternalServerError)
		return
	}
	p.render(w, http.StatusOK, "identity", identityPage{Institution: sess.institution, Record: rec, Name: id.Name, ID: id.ID, Phone: id.Phone, Reason: reason})
}
