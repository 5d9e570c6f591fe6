package portal

import (
	"errors"
	"net/http"
	"net/url"

	"hcscan/server"
)

type staffPage struct {
	Frame
	Staff   []server.StaffMember
	Form    struct{ Name, Phone, Role string }
	NewCode string // the one-time first sign-in code, shown once
	NewFor  string
}

func (p *Portal) staffData(r *http.Request, login *Login) (staffPage, error) {
	page := staffPage{Frame: p.frame(r, login, "staff.title", "staff")}
	var err error
	page.Staff, err = p.store.Staff(r.Context(), login.Institution)
	return page, err
}

// RecordsOf links to the records a staff member made.
func (staffPage) RecordsOf(name string) string {
	return "/portal/records?" + url.Values{"operator": {name}}.Encode()
}

// staff lists the institution's designated scanner staff; the admin adds
// people (with a one-time code for their first sign-in), disables them,
// and resets a forgotten PIN.
func (p *Portal) staff(w http.ResponseWriter, r *http.Request, login *Login) {
	page, err := p.staffData(r, login)
	if err != nil {
		p.failInternal(w, r, login, "staff", err)
		return
	}
	p.render(w, http.StatusOK, "staff", page)
}

func (p *Portal) addStaff(w http.ResponseWriter, r *http.Request, login *Login) {
	name, phone, role := r.PostFormValue("name"), r.PostFormValue("phone"), r.PostFormValue("role")
	m, code, aerr := p.province.AddStaff(r.Context(), login.Institution, name, phone, role)
	page, err := p.staffData(r, login)
	if err != nil {
		p.failInternal(w, r, login, "staff", err)
		return
	}
	switch {
	case aerr == nil:
		page.NewCode, page.NewFor = code, m.Name
		p.render(w, http.StatusOK, "staff", page)
	case errors.Is(aerr, server.ErrStaffExists):
		page.Error = page.T("staff.exists")
	case errors.Is(aerr, server.ErrBadStaffForm):
		page.Error = page.Tf("staff.bad", aerr.Error())
	default:
		p.failInternal(w, r, login, "add staff", aerr)
		return
	}
	if aerr != nil {
		page.Form.Name, page.Form.Phone, page.Form.Role = name, phone, role
		p.render(w, http.StatusBadRequest, "staff", page)
	}
}

func (p *Portal) changeStaff(w http.ResponseWriter, r *http.Request, login *Login) {
	id := r.PostFormValue("staff")
	var err error
	var code string
	switch r.PostFormValue("action") {
	case "disable":
		err = p.province.SetStaffDisabled(r.Context(), login.Institution, id, true)
	case "enable":
		err = p.province.SetStaffDisabled(r.Context(), login.Institution, id, false)
	case "reset":
		code, err = p.province.ResetStaffPIN(r.Context(), login.Institution, id)
	default:
		p.fail(w, r, login, http.StatusBadRequest, text(language(r), "staff.badaction"))
		return
	}
	if errors.Is(err, server.ErrNotFound) {
		p.fail(w, r, login, http.StatusNotFound, text(language(r), "staff.unknown"))
		return
	}
	if err != nil {
		p.failInternal(w, r, login, "change staff", err)
		return
	}
	p.log.Info("staff changed in the portal", "institution", login.Institution, "actor", login.Actor, "staff", id, "action", r.PostFormValue("action"))
	if code == "" {
		http.Redirect(w, r, "/portal/staff", http.StatusSeeOther)
		return
	}
	page, err := p.staffData(r, login)
	if err != nil {
		p.failInternal(w, r, login, "staff", err)
		return
	}
	for _, m := range page.Staff {
		if m.ID == id {
			page.NewFor = m.Name
		}
	}
	page.NewCode = code
	p.render(w, http.StatusOK, "staff", page)
}
