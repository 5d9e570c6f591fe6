package portal

import (
	"errors"
	"net/http"
	"sort"
	"time"

	"hcscan/server"
)

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
	Records     []server.StoredRecord
	Older       string // ?before= of the next page, when there is one
	Alerts      []server.Alert
	Devices     []server.Device
	Tokens      []server.Token
	Operators   []OperatorSummary
	NewToken    string
	NewTokenFor string
	Error       string
	Now         time.Time
	Tracer      bool                // the login may open sealed identities
	Audit       []server.AuditEntry // sealed identities opened for this institution
}

func (p *Portal) homeData(r *http.Request, sess session) (*homePage, error) {
	page := &homePage{Institution: sess.institution, CSRF: sess.csrf, Gate: r.URL.Query().Get("gate"), Now: p.now(), Tracer: sess.tracer()}
	before, _ := time.Parse(time.RFC3339Nano, r.URL.Query().Get("before"))
	const pageSize = 200
	var err error
	if page.Records, err = p.store.Records(r.Context(), server.RecordQuery{Institution: sess.institution, Gate: page.Gate, Before: before, Limit: pageSize}); err != nil {
		return nil, err
	}
	if len(page.Records) == pageSize {
		page.Older = server.When(&page.Records[pageSize-1].Record).Format(time.RFC3339Nano)
	}
	if page.Alerts, err = p.store.Alerts(r.Context(), sess.institution); err != nil {
		return nil, err
	}
	if page.Devices, err = p.store.Devices(r.Context(), sess.institution); err != nil {
		return nil, err
	}
	if page.Tokens, err = p.store.Tokens(r.Context(), sess.institution); err != nil {
		return nil, err
	}
	if page.Audit, err = p.store.Audit(r.Context(), sess.institution, 200); err != nil {
		return nil, err
	}
	recent, err := p.store.Records(r.Context(), server.RecordQuery{Institution: sess.institution, Limit: 2000})
	if err != nil {
		return nil, err
	}
	page.Operators = operators(recent)
	return page, nil
}

func operators(recs []server.StoredRecord) []OperatorSummary {
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
		if t := server.When(r); t.After(o.LastSeen) {
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

func (p *Portal) home(w http.ResponseWriter, r *http.Request, sess session) {
	page, err := p.homeData(r, sess)
	if err != nil {
		p.log.Error("portal home", "err", err)
		http.Error(w, "could not read the records", http.StatusInternalServerError)
		return
	}
	p.render(w, http.StatusOK, "home", page)
}

func (p *Portal) newToken(w http.ResponseWriter, r *http.Request, sess session) {
	gate := r.PostFormValue("gate")
	text, _, err := p.province.NewToken(r.Context(), server.TokenEnroll, sess.institution, gate)
	page, derr := p.homeData(r, sess)
	if derr != nil {
		http.Error(w, "could not read the records", http.StatusInternalServerError)
		return
	}
	if err != nil {
		page.Error = err.Error()
		p.render(w, http.StatusBadRequest, "home", page)
		return
	}
	page.NewToken, page.NewTokenFor = text, gate
	p.render(w, http.StatusOK, "home", page)
}

// portalDevice disables or enables one of the institution's devices.
func (p *Portal) device(w http.ResponseWriter, r *http.Request, sess session) {
	disable := r.PostFormValue("action") == "disable"
	err := p.store.SetDeviceDisabled(r.Context(), sess.institution, r.PostFormValue("device"), disable)
	if errors.Is(err, server.ErrNotFound) {
		http.Error(w, "no such device in this institution", http.StatusNotFound)
		return
	}
	if err != nil {
		p.log.Error("portal device", "err", err)
		http.Error(w, "could not change the device", http.StatusInternalServerError)
		return
	}
	p.log.Info("device changed in the portal", "institution", sess.institution, "device", r.PostFormValue("device"), "disabled", disable)
	http.Redirect(w, r, "/portal/", http.StatusSeeOther)
}
