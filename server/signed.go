package server

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"hcscan/protocol"
)

// signedHandler serves a request whose signature, time, nonce and device
// were checked; body is what was signed.
type signedHandler func(w http.ResponseWriter, r *http.Request, dev Device, body []byte)

// signed checks a request's signature, time, device and, for a request
// that changes something (not GET or HEAD), its nonce before h.
// What can be checked without the body (the signature headers' form, the
// time, the device) is checked before a byte of it is read, and such a
// refusal closes the connection instead of reading on; a body is read only
// once there is room for it in the process's and the device's budget.
func (s *Server) signed(limit int64, h signedHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		now := s.now()
		hdr, err := protocol.ParseRequestHeaders(r, now)
		switch {
		case err == nil:
		case errors.Is(err, protocol.ErrRequestStale):
			s.refuse(w, http.StatusUnauthorized, protocol.ErrStaleTime, err.Error()+"; correct the clock offset from X-Server-Time and sign again")
			return
		default:
			s.refuse(w, http.StatusUnauthorized, protocol.ErrUnsigned, err.Error())
			return
		}
		if limit > 0 && r.ContentLength > limit {
			s.refuse(w, http.StatusRequestEntityTooLarge, protocol.ErrTooLarge, fmt.Sprintf("request body is larger than %d bytes", limit))
			return
		}
		dev, err := s.store.Device(r.Context(), hdr.DeviceID)
		switch {
		case errors.Is(err, ErrNotFound):
			s.refuse(w, http.StatusUnauthorized, protocol.ErrUnknownDevice, fmt.Sprintf("device %q: %v; enrol the device again", hdr.DeviceID, protocol.ErrDeviceUnknown))
			return
		case err != nil:
			s.unavailable(w, "look up the signing device", err)
			return
		case dev.Disabled:
			s.refuse(w, http.StatusForbidden, protocol.ErrDeviceDisabled, "device "+dev.ID+" is disabled")
			return
		}
		if limit > smallBody {
			n := r.ContentLength
			if n < 0 {
				n = limit
			}
			release, err := s.bodies.acquire(r.Context(), dev.ID, n)
			if err != nil {
				w.Header().Set("Retry-After", "2")
				s.refuse(w, http.StatusServiceUnavailable, protocol.ErrUnavailable, err.Error()+"; retry")
				return
			}
			defer release()
		}
		body, ok := s.readBody(w, r, limit)
		if !ok {
			return
		}
		key, err := s.deviceKeys.get(dev.PublicKey)
		var sig protocol.Signed
		if err == nil {
			sig, err = hdr.VerifyKey(r, body, key)
		}
		if err != nil {
			s.fail(w, http.StatusUnauthorized, protocol.ErrBadSignature, "the signature does not match the request and the device key")
			return
		}
		if !safeMethod(r.Method) {
			if !s.checkNonce(w, r, sig, now) {
				return
			}
		}
		h(w, r, dev, body)
	}
}

// refuse answers before the body was read and closes the connection, so
// an unread body is neither read nor waited for.
func (s *Server) refuse(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Connection", "close")
	s.fail(w, status, code, msg)
}

// safeMethod reports whether a request of this method only reads (GET,
// HEAD: the trust list, status lists, a live status check, the roster,
// the staff list).
// Its nonce is not remembered: a copy of it sent again within the clock
// skew gets the same kind of answer the sender already saw, changes
// nothing, and a live answer is signed over the nonce the scanner chose,
// so the scanner takes no played-back answer for a new question. Every
// other request's nonce is kept in the store every process shares, on
// disk, so it is refused a second time, also after a restart. A handler
// served for GET must therefore change nothing.
func safeMethod(method string) bool {
	return method == http.MethodGet || method == http.MethodHead
}

// checkNonce remembers the nonce of a request that changes something;
// false when it answered (a replay, or the store could not say).
func (s *Server) checkNonce(w http.ResponseWriter, r *http.Request, sig protocol.Signed, now time.Time) bool {
	fresh, err := s.store.CheckNonce(r.Context(), sig.DeviceID, sig.Nonce, nonceForget(sig.Time, now), now)
	if errors.Is(err, ErrNonceWindowFull) {
		w.Header().Set("Retry-After", "5")
		s.fail(w, http.StatusServiceUnavailable, protocol.ErrUnavailable, err.Error())
		return false
	}
	if err != nil {
		s.unavailable(w, "check the request nonce", err)
		return false
	}
	if !fresh {
		s.fail(w, http.StatusUnauthorized, protocol.ErrReplay, "this request (nonce) was already received; sign each attempt anew")
		return false
	}
	return true
}
