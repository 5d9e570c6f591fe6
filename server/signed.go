package server

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"net/http"

	"hcscan/protocol"
)

// signedHandler serves a request whose signature, time, nonce and device
// were checked; body is what was signed.
type signedHandler func(w http.ResponseWriter, r *http.Request, dev Device, body []byte)

// signed checks a request's signature, time, nonce and device before h.
func (s *Server) signed(limit int64, h signedHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, ok := s.readBody(w, r, limit)
		if !ok {
			return
		}
		now := s.now()
		var dev Device
		keyOf := func(id string) (ed25519.PublicKey, error) {
			d, err := s.store.Device(r.Context(), id)
			if err != nil {
				if errors.Is(err, ErrNotFound) {
					return nil, fmt.Errorf("device %q: %w", id, protocol.ErrDeviceUnknown)
				}
				return nil, err
			}
			dev = d
			return d.PublicKey, nil
		}
		sig, err := protocol.VerifyRequest(r, body, keyOf, now)
		switch {
		case err == nil:
		case errors.Is(err, protocol.ErrRequestUnsigned):
			s.fail(w, http.StatusUnauthorized, protocol.ErrUnsigned, err.Error())
			return
		case errors.Is(err, protocol.ErrRequestStale):
			s.fail(w, http.StatusUnauthorized, protocol.ErrStaleTime, err.Error()+"; correct the clock offset from X-Server-Time and sign again")
			return
		case errors.Is(err, protocol.ErrDeviceUnknown):
			s.fail(w, http.StatusUnauthorized, protocol.ErrUnknownDevice, err.Error()+"; enrol the device again")
			return
		case errors.Is(err, protocol.ErrRequestSignature):
			s.fail(w, http.StatusUnauthorized, protocol.ErrBadSignature, "the signature does not match the request and the device key")
			return
		default:
			s.log.Error("verify request", "err", err)
			s.fail(w, http.StatusInternalServerError, protocol.ErrInternal, "could not check the request")
			return
		}
		if dev.Disabled {
			s.fail(w, http.StatusForbidden, protocol.ErrDeviceDisabled, "device "+dev.ID+" is disabled")
			return
		}
		fresh, err := s.store.CheckNonce(r.Context(), sig.DeviceID, sig.Nonce, nonceForget(sig.Time, now), now)
		if err != nil {
			w.Header().Set("Retry-After", "5")
			if errors.Is(err, ErrNonceWindowFull) {
				s.fail(w, http.StatusServiceUnavailable, protocol.ErrUnavailable, err.Error())
				return
			}
			s.log.Error("check nonce", "err", err)
			s.fail(w, http.StatusServiceUnavailable, protocol.ErrUnavailable, "could not check the request; retry")
			return
		}
		if !fresh {
			s.fail(w, http.StatusUnauthorized, protocol.ErrReplay, "this request (nonce) was already received; sign each attempt anew")
			return
		}
		h(w, r, dev, body)
	}
}
