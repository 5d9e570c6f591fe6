package protocol

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"time"
)

// Staff endpoints: an institution's designated scanner staff reach its
// scanners as argon2id verifiers only (never a PIN), and a PIN set at a
// first sign-in on one scanner goes up as a verifier and out to the others.
const (
	// PathStaff: GET (signed) the institution's staff list, with ETag and
	// If-None-Match → 304.
	PathStaff = "/v1/staff"
	// PathStaffPIN: POST (signed) StaffPINRequest: the verifier of the PIN
	// a staff member set at their first sign-in. 200 taken; 409 the person
	// already has one (the next staff list carries it); 404 no such person
	// in the device's institution; 403 the person is disabled.
	PathStaffPIN = "/v1/staff/pin"
)

// StaffEntry is one person of an institution's scanner staff.
type StaffEntry struct {
	ID   string `json:"id"`
	Name string `json:"name"` // real name, as they sign in
	Role string `json:"role,omitempty"`
	// Verifier is the argon2id verifier of their PIN ("" until their first sign-in).
	Verifier string `json:"verifier,omitempty"`
	// Setup is the argon2id verifier of the one-time code their admin gave
	// them for the first sign-in ("" once they have a PIN).
	Setup    string `json:"setup,omitempty"`
	Disabled bool   `json:"disabled,omitempty"`
}

// StaffList is the reply to GET /v1/staff, signed by the server key the
// scanner pinned at enrolment, for that one device.
type StaffList struct {
	Institution string       `json:"institution"`
	DeviceID    string       `json:"device_id"`
	Version     string       `json:"version"` // also the ETag
	Staff       []StaffEntry `json:"staff"`
	ServerTime  time.Time    `json:"server_time"`
	Signature   []byte       `json:"signature"`
}

// SigningBytes is what the server signs: the list without its signature.
func (l StaffList) SigningBytes() []byte {
	l.Signature = nil
	b, _ := json.Marshal(l)
	return append([]byte("hcscan-staff-v1\n"), b...)
}

// ErrBadStaffSignature: the staff list is not signed by the pinned server key.
var ErrBadStaffSignature = errors.New("the staff list is not signed by the server key this scanner pinned")

// Verify checks the list's signature by the server key and that it is for device.
func (l *StaffList) Verify(serverKey ed25519.PublicKey, deviceID string) error {
	if len(serverKey) != ed25519.PublicKeySize || !ed25519.Verify(serverKey, l.SigningBytes(), l.Signature) {
		return ErrBadStaffSignature
	}
	if l.DeviceID != deviceID {
		return errors.New("the staff list is for another device")
	}
	return nil
}

// StaffPINRequest is the body of POST /v1/staff/pin.
type StaffPINRequest struct {
	ID       string `json:"id"`
	Verifier string `json:"verifier"`
}
