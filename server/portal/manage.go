package portal

import (
	"encoding/hex"
	"errors"
	"net/http"

	"hcscan/server"
)

type gatesPage struct {
	Frame
	Devices     []server.Device
	Tokens      []server.Token // enrolment tokens
	GateNames   []string
	NewToken    string
	NewTokenFor string
}

func (p *Portal) gatesData(r *http.Request, login *Login) (gatesPage, error) {
	page := gatesPage{Frame: p.frame(r, login, "gates.title", "gates")}
	var err error
	if page.Devices, err = p.store.Devices(r.Context(), login.Institution); err != nil {
		return page, err
	}
	toks, err := p.store.Tokens(r.Context(), login.Institution)
	if err != nil {
		return page, err
	}
	for _, t := range toks {
		if t.Kind == server.TokenEnroll {
			page.Tokens = append(page.Tokens, t)
		}
	}
	page.GateNames, err = p.gateNames(r, login.Institution)
	return page, err
}

// gates lists the institution's devices by gate and its enrolment tokens;
// the admin makes tokens and disables lost devices here.
func (p *Portal) gates(w http.ResponseWriter, r *http.Request, login *Login) {
	page, err := p.gatesData(r, login)
	if err != nil {
		p.failInternal(w, r, login, "gates", err)
		return
	}
	p.render(w, http.StatusOK, "gates", page)
}

func (p *Portal) newEnrolToken(w http.ResponseWriter, r *http.Request, login *Login) {
	gate := r.PostFormValue("gate")
	text, _, terr := p.province.NewTokenBy(r.Context(), server.TokenEnroll, login.Institution, gate, login.Actor)
	page, err := p.gatesData(r, login)
	if err != nil {
		p.failInternal(w, r, login, "gates", err)
		return
	}
	if terr != nil {
		page.Error = page.Tf("gates.tokenerror", terr.Error())
		p.render(w, http.StatusBadRequest, "gates", page)
		return
	}
	page.NewToken, page.NewTokenFor = text, gate
	p.render(w, http.StatusOK, "gates", page)
}

// device disables or enables one of the institution's devices.
func (p *Portal) device(w http.ResponseWriter, r *http.Request, login *Login) {
	disable := r.PostFormValue("action") == "disable"
	id := r.PostFormValue("device")
	err := p.store.SetDeviceDisabled(r.Context(), login.Institution, id, disable)
	if errors.Is(err, server.ErrNotFound) {
		p.fail(w, r, login, http.StatusNotFound, text(language(r), "gates.nodevice"))
		return
	}
	if err != nil {
		p.failInternal(w, r, login, "change device", err)
		return
	}
	p.log.Info("device changed in the portal", "institution", login.Institution, "actor", login.Actor, "device", id, "disabled", disable)
	http.Redirect(w, r, "/portal/gates", http.StatusSeeOther)
}

// loginRow is a portal login as its list shows it: ID is the hex of the
// token's hash (not the token), which the revoke form sends.
type loginRow struct {
	server.Token
	ID string
}

type loginsPage struct {
	Frame
	Logins   []loginRow
	NewToken string
	NewKind  string
}

func (p *Portal) loginsData(r *http.Request, login *Login) (loginsPage, error) {
	page := loginsPage{Frame: p.frame(r, login, "logins.title", "logins")}
	toks, err := p.store.Tokens(r.Context(), login.Institution)
	if err != nil {
		return page, err
	}
	for _, t := range toks {
		if server.IsLogin(t.Kind) {
			page.Logins = append(page.Logins, loginRow{Token: t, ID: hex.EncodeToString(t.Hash[:])})
		}
	}
	return page, nil
}

// logins lists the institution's portal logins; the admin makes new ones
// (admin or records viewer) and revokes any.
func (p *Portal) logins(w http.ResponseWriter, r *http.Request, login *Login) {
	page, err := p.loginsData(r, login)
	if err != nil {
		p.failInternal(w, r, login, "logins", err)
		return
	}
	p.render(w, http.StatusOK, "logins", page)
}

func (p *Portal) newLogin(w http.ResponseWriter, r *http.Request, login *Login) {
	kind := r.PostFormValue("kind")
	if kind != server.TokenPortal && kind != server.TokenViewer {
		p.fail(w, r, login, http.StatusBadRequest, text(language(r), "logins.badkind"))
		return
	}
	text, _, terr := p.province.NewTokenBy(r.Context(), kind, login.Institution, "", login.Actor)
	if terr != nil {
		p.failInternal(w, r, login, "new login", terr)
		return
	}
	page, err := p.loginsData(r, login)
	if err != nil {
		p.failInternal(w, r, login, "logins", err)
		return
	}
	page.NewToken, page.NewKind = text, kind
	p.render(w, http.StatusOK, "logins", page)
}

func (p *Portal) revokeLogin(w http.ResponseWriter, r *http.Request, login *Login) {
	raw, err := hex.DecodeString(r.PostFormValue("login"))
	var h server.TokenHash
	if err != nil || len(raw) != len(h) {
		p.fail(w, r, login, http.StatusBadRequest, text(language(r), "logins.unknown"))
		return
	}
	copy(h[:], raw)
	err = p.store.RevokeToken(r.Context(), login.Institution, h, p.now().UTC())
	if errors.Is(err, server.ErrTokenUnknown) {
		p.fail(w, r, login, http.StatusNotFound, text(language(r), "logins.unknown"))
		return
	}
	if err != nil {
		p.failInternal(w, r, login, "revoke login", err)
		return
	}
	p.log.Info("portal login revoked", "institution", login.Institution, "actor", login.Actor, "login", hex.EncodeToString(raw[:4]))
	http.Redirect(w, r, "/portal/logins", http.StatusSeeOther)
}

type auditPage struct {
	Frame
	Entries []server.AuditEntry
}

// audit lists every sealed identity opened for the institution.
func (p *Portal) audit(w http.ResponseWriter, r *http.Request, login *Login) {
	page := auditPage{Frame: p.frame(r, login, "audit.title", "audit")}
	var err error
	if page.Entries, err = p.store.Audit(r.Context(), login.Institution, 1000); err != nil {
		p.failInternal(w, r, login, "audit", err)
		return
	}
	p.render(w, http.StatusOK, "audit", page)
}
