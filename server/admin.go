package server

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"hcscan/protocol"
)

// NewToken makes a token of kind (TokenEnroll or TokenPortal) for an
// institution (and gate, for enrolment) and returns its text, which is
// shown once: the store keeps only its hash.
func (s *Server) NewToken(ctx context.Context, kind, institution, gate string) (string, Token, error) {
	institution, gate = strings.TrimSpace(institution), strings.TrimSpace(gate)
	switch {
	case kind != TokenEnroll && kind != TokenPortal && kind != TokenTracing:
		return "", Token{}, fmt.Errorf("token kind %q: want %s, %s or %s", kind, TokenEnroll, TokenPortal, TokenTracing)
	case institution == "" || !validField(institution):
		return "", Token{}, fmt.Errorf("institution must be 1 to %d bytes", maxFieldLen)
	case kind == TokenEnroll && (gate == "" || !validField(gate)):
		return "", Token{}, fmt.Errorf("an enrolment token needs a gate of 1 to %d bytes", maxFieldLen)
	}
	var b [15]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", Token{}, err
	}
	raw := base32.StdEncoding.EncodeToString(b[:]) // 24 characters, 120 bits
	var groups []string
	for i := 0; i < len(raw); i += 4 {
		groups = append(groups, raw[i:i+4])
	}
	text := strings.Join(groups, "-")
	now := s.now()
	ttl := s.cfg.EnrollTokenTTL
	if kind != TokenEnroll {
		ttl = s.cfg.PortalTokenTTL
		gate = ""
	}
	t := Token{Hash: hashToken(text), Kind: kind, Institution: institution, Gate: gate, Hint: groups[0], Created: now.UTC(), Expires: now.Add(ttl).UTC()}
	if err := s.store.PutToken(ctx, t); err != nil {
		return "", Token{}, err
	}
	s.log.Info("token made", "kind", kind, "institution", institution, "gate", gate, "hint", t.Hint)
	return text, t, nil
}

// SetStatus changes codes' colours, as the provincial database would, and
// flags provisional passes of codes that turned red or yellow.
func (s *Server) SetStatus(ctx context.Context, changes []StatusChange) (seq uint64, alerts int, err error) {
	seq, alerts, err = s.store.SetStatus(ctx, changes, s.now())
	if err == nil {
		s.log.Info("status set", "changes", len(changes), "seq", seq, "alerts", alerts)
	}
	return seq, alerts, err
}

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
