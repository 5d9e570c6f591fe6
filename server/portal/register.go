package portal

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"hcscan/server"
)

type registerPage struct {
	Frame
	Kinds []string
	Form  server.Institution
	Token string // the first admin login, shown once after applying
}

func (p *Portal) registerForm(w http.ResponseWriter, r *http.Request, _ *Login) {
	p.render(w, http.StatusOK, "register", registerPage{Frame: p.frame(r, nil, "register.title", ""), Kinds: server.InstitutionKinds})
}

// register takes an institution's application; the page shows its first
// admin login once, which works when the province approves. Applications
// count against the client's wrong-login allowance, so the form cannot be
// used to flood the province.
func (p *Portal) register(w http.ResponseWriter, r *http.Request, _ *Login) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	page := registerPage{Frame: p.frame(r, nil, "register.title", ""), Kinds: server.InstitutionKinds}
	ip := clientIP(r)
	if wait := p.limiter.wait(ip, ""); wait > 0 {
		secs := int(wait/time.Second) + 1
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		page.Error = page.Tf("login.slow", secs)
		p.render(w, http.StatusTooManyRequests, "register", page)
		return
	}
	p.limiter.failed(ip, "")
	page.Form = server.Institution{Name: r.PostFormValue("name"), Kind: r.PostFormValue("kind"), Address: r.PostFormValue("address"),
		Contact: r.PostFormValue("contact"), Phone: r.PostFormValue("phone"), TimeZone: server.DefaultTimeZone}
	token, err := p.province.Register(r.Context(), page.Form)
	switch {
	case err == nil:
	case errors.Is(err, server.ErrInstitutionExists):
		page.Error = page.T("register.exists")
		p.render(w, http.StatusConflict, "register", page)
		return
	default:
		if cerr := (&page.Form).Check(); cerr != nil {
			page.Error = page.Tf("register.bad", cerr.Error())
			p.render(w, http.StatusBadRequest, "register", page)
			return
		}
		p.failInternal(w, r, nil, "register", err)
		return
	}
	page.Token = token
	page.Notice = page.Tf("register.done", page.Form.Name)
	p.render(w, http.StatusOK, "register", page)
}

type provincePage struct {
	Frame
	Pending []server.Institution
	Decided []server.Institution
}

// provinceHome lists the applications waiting, and those decided.
func (p *Portal) provinceHome(w http.ResponseWriter, r *http.Request, login *Login) {
	page := provincePage{Frame: p.frame(r, login, "province.title", "province")}
	all, err := p.store.Institutions(r.Context(), "")
	if err != nil {
		p.failInternal(w, r, login, "institutions", err)
		return
	}
	for _, in := range all {
		if in.State == server.InstitutionPending {
			page.Pending = append(page.Pending, in)
		} else {
			page.Decided = append(page.Decided, in)
		}
	}
	p.render(w, http.StatusOK, "province", page)
}

func (p *Portal) decide(w http.ResponseWriter, r *http.Request, login *Login) {
	approve := r.PostFormValue("action") == "approve"
	in, err := p.province.DecideInstitution(r.Context(), r.PostFormValue("institution"), approve, login.Actor, r.PostFormValue("note"))
	switch {
	case err == nil:
	case errors.Is(err, server.ErrNotFound):
		p.fail(w, r, login, http.StatusNotFound, text(language(r), "province.unknown"))
		return
	case errors.Is(err, server.ErrInstitutionDecided):
		p.fail(w, r, login, http.StatusConflict, text(language(r), "province.decided"))
		return
	default:
		p.failInternal(w, r, login, "decide", err)
		return
	}
	p.log.Info("institution decided in the portal", "institution", in.Name, "state", in.State, "actor", login.Actor)
	http.Redirect(w, r, "/portal/province", http.StatusSeeOther)
}
