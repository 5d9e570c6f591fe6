package server

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"hcscan/protocol"
)

// Admin API paths (served by AdminHandler, on loopback only).
const (
	AdminPathToken  = "/admin/v1/token"
	AdminPathStatus = "/admin/v1/status"
	// AdminPathInstitution lists institutions or decides on an application.
	AdminPathInstitution = "/admin/v1/institution"
)

// AdminInstitutionRequest lists institutions (Action "list", State a
// filter) or approves or refuses one (Action "approve" or "refuse").
type AdminInstitutionRequest struct {
	Action string `json:"action"`
	Name   string `json:"name,omitempty"`
	State  string `json:"state,omitempty"`
	Note   string `json:"note,omitempty"`
}

// AdminInstitutionReply is the institutions listed or the one decided.
type AdminInstitutionReply struct {
	Institutions []Institution `json:"institutions"`
}

// AdminInstitution does what req asks, as the province (its command line).
func (s *Server) AdminInstitution(ctx context.Context, req AdminInstitutionRequest) (AdminInstitutionReply, error) {
	switch req.Action {
	case "list":
		l, err := s.store.Institutions(ctx, req.State)
		return AdminInstitutionReply{Institutions: l}, err
	case "approve", "refuse":
		in, err := s.DecideInstitution(ctx, req.Name, req.Action == "approve", "province", req.Note)
		return AdminInstitutionReply{Institutions: []Institution{in}}, err
	}
	return AdminInstitutionReply{}, fmt.Errorf("institution: unknown action %q (list, approve or refuse)", req.Action)
}

// AdminTokenRequest asks for a new token.
type AdminTokenRequest struct {
	Kind        string `json:"kind"`
	Institution string `json:"institution"`
	Gate        string `json:"gate,omitempty"`
}

// AdminTokenReply is the token made.
type AdminTokenReply struct {
	Token   string    `json:"token"`
	Expires time.Time `json:"expires"`
}

// AdminStatusRequest changes colours.
type AdminStatusRequest struct {
	Changes []StatusChange `json:"changes"`
}

// AdminStatusReply tells the new status sequence and the alerts raised.
type AdminStatusReply struct {
	Seq    uint64 `json:"seq"`
	Alerts int    `json:"alerts"`
}

// AdminHandler serves the commands that change the database while the
// server runs (bbolt allows one process): `hcserver token` and `hcserver
// status set` call it. It must listen on loopback only; every request
// needs "Authorization: Bearer SECRET".
func (s *Server) AdminHandler(secret string) http.Handler {
	mux := http.NewServeMux()
	auth := func(h http.HandlerFunc) http.HandlerFunc {
		return s.method(http.MethodPost, func(w http.ResponseWriter, r *http.Request) {
			got := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
			if secret == "" || subtle.ConstantTimeCompare([]byte(got), []byte(secret)) != 1 {
				s.fail(w, http.StatusUnauthorized, "unauthorized", "admin secret missing or wrong")
				return
			}
			if !s.requireJSON(w, r) {
				return
			}
			h(w, r)
		})
	}
	mux.HandleFunc(AdminPathToken, auth(func(w http.ResponseWriter, r *http.Request) {
		body, ok := s.readBody(w, r, 4<<10)
		if !ok {
			return
		}
		var req AdminTokenRequest
		if err := decodeStrict(body, &req); err != nil {
			s.fail(w, http.StatusBadRequest, protocol.ErrBadRequest, err.Error())
			return
		}
		text, t, err := s.NewToken(r.Context(), req.Kind, req.Institution, req.Gate)
		if err != nil {
			s.fail(w, http.StatusBadRequest, protocol.ErrBadRequest, err.Error())
			return
		}
		s.writeJSON(w, http.StatusOK, AdminTokenReply{Token: text, Expires: t.Expires})
	}))
	mux.HandleFunc(AdminPathInstitution, auth(func(w http.ResponseWriter, r *http.Request) {
		body, ok := s.readBody(w, r, 4<<10)
		if !ok {
			return
		}
		var req AdminInstitutionRequest
		if err := decodeStrict(body, &req); err != nil {
			s.fail(w, http.StatusBadRequest, protocol.ErrBadRequest, err.Error())
			return
		}
		rep, err := s.AdminInstitution(r.Context(), req)
		if err != nil {
			s.fail(w, http.StatusBadRequest, protocol.ErrBadRequest, err.Error())
			return
		}
		s.writeJSON(w, http.StatusOK, rep)
	}))
	mux.HandleFunc(AdminPathStatus, auth(func(w http.ResponseWriter, r *http.Request) {
		body, ok := s.readBody(w, r, 64<<20)
		if !ok {
			return
		}
		var req AdminStatusRequest
		if err := decodeStrict(body, &req); err != nil {
			s.fail(w, http.StatusBadRequest, protocol.ErrBadRequest, err.Error())
			return
		}
		seq, alerts, err := s.SetStatus(r.Context(), req.Changes)
		if err != nil {
			s.fail(w, http.StatusBadRequest, protocol.ErrBadRequest, err.Error())
			return
		}
		s.writeJSON(w, http.StatusOK, AdminStatusReply{Seq: seq, Alerts: alerts})
	}))
	return s.stamp(mux)
}

// ErrAdminNotRunning means no running server answered the admin API.
var ErrAdminNotRunning = errors.New("no running server found")
