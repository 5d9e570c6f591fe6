package server

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
	"time"

	"hcscan/protocol"
)

// Admin API paths (served by AdminHandler, on loopback only).
const (
	AdminPathToken  = "/admin/v1/token"
	AdminPathStatus = "/admin/v1/status"
)

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
