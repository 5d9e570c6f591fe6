package server

import (
	"crypto/ed25519"
	"errors"
	"net/http"

	"github.com/google/uuid"

	"hcscan/healthcode"
	"hcscan/protocol"
)

// handleRoot answers GET /v1/root with the province root key, so that a
// scanner can check its pinned fingerprint before it spends a token.
func (s *Server) handleRoot(w http.ResponseWriter, r *http.Request) {
	s.writeJSON(w, http.StatusOK, protocol.RootReply{RootKey: s.keys.Root.Public().(ed25519.PublicKey)})
}

// handleEnroll answers POST /v1/enroll: it spends a single-use enrolment
// token and registers the device key under the token's institution and
// gate; the reply, signed by the server key, carries what the device pins.
func (s *Server) handleEnroll(w http.ResponseWriter, r *http.Request) {
	if !s.requireJSON(w, r) {
		return
	}
	body, ok := s.readBody(w, r, protocol.MaxEnrollBody)
	if !ok {
		return
	}
	var req protocol.EnrollRequest
	if err := decodeStrict(body, &req); err != nil {
		s.fail(w, http.StatusBadRequest, protocol.ErrBadRequest, "enrolment request: "+err.Error())
		return
	}
	if req.Token == "" {
		s.fail(w, http.StatusBadRequest, protocol.ErrBadRequest, "enrolment request: no token")
		return
	}
	if err := req.CheckProof(); err != nil {
		s.fail(w, http.StatusBadRequest, protocol.ErrBadRequest, "enrolment request: "+err.Error())
		return
	}
	id, err := uuid.NewV7()
	if err != nil {
		s.fail(w, http.StatusInternalServerError, protocol.ErrInternal, "device id")
		return
	}
	now := s.now()
	dev, err := s.store.Enroll(r.Context(), HashToken(req.Token), Device{ID: id.String(), PublicKey: req.PublicKey, Name: clip(req.Name, 128), Software: clip(req.Software, 128)}, now)
	switch {
	case err == nil:
	case errors.Is(err, ErrTokenUnknown):
		s.fail(w, http.StatusUnauthorized, protocol.ErrBadToken, "no such enrolment token")
		return
	case errors.Is(err, ErrTokenUsed):
		s.fail(w, http.StatusForbidden, protocol.ErrTokenUsed, "this enrolment token was already used; make a new one in the portal")
		return
	case errors.Is(err, ErrTokenExpired):
		s.fail(w, http.StatusForbidden, protocol.ErrTokenExpired, "this enrolment token has expired; make a new one in the portal")
		return
	default:
		s.unavailable(w, "enrol a device", err)
		return
	}
	s.trustMu.RLock()
	doc := s.trust.Doc
	s.trustMu.RUnlock()
	reply := protocol.EnrollReply{
		DeviceID: dev.ID, Institution: dev.Institution, Gate: dev.Gate,
		ServerKey: s.serverPub(), RootKey: s.keys.Root.Public().(ed25519.PublicKey), SealKey: s.keys.SealPublic(),
		TrustList: doc, ServerTime: now.UTC(),
	}
	reply.Signature = healthcode.SignEd25519(s.keys.Server, reply.SigningBytes(req.PublicKey))
	s.log.Info("device enrolled", "device", dev.ID, "institution", dev.Institution, "gate", dev.Gate)
	s.writeJSON(w, http.StatusOK, reply)
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
