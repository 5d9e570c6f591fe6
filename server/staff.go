package server

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"hcscan/internal/pinhash"
	"hcscan/protocol"
)

// StaffMember is one of an institution's designated, real-name scanner
// staff, managed in the portal. The PIN is never known to the server:
// only the argon2id verifier a scanner made at the person's first sign-in.
type StaffMember struct {
	ID          string `json:"id"`
	Institution string `json:"institution"`
	Name        string `json:"name"`
	Phone       string `json:"phone"` // for the admin only; never sent to scanners
	Role        string `json:"role"`
	// Verifier of the person's PIN ("" until their first sign-in).
	Verifier string `json:"verifier,omitempty"`
	// Setup is the verifier of the one-time first sign-in code.
	Setup    string    `json:"setup,omitempty"`
	Disabled bool      `json:"disabled,omitempty"`
	Created  time.Time `json:"created"`
	Updated  time.Time `json:"updated"`
}

// Errors about staff.
var (
	ErrStaffExists  = errors.New("a staff member of that name is already in the institution")
	ErrVerifierSet  = errors.New("the staff member already has a PIN")
	ErrStaffOff     = errors.New("the staff member is disabled")
	ErrBadStaffForm = errors.New("bad staff member")
)

// StaffStore keeps institutions' scanner staff.
type StaffStore interface {
	// AddStaff adds m (ErrStaffExists for a name taken in its institution).
	AddStaff(ctx context.Context, m StaffMember) error
	// Staff lists an institution's staff by name.
	Staff(ctx context.Context, institution string) ([]StaffMember, error)
	// UpdateStaff changes one person of an institution in one transaction:
	// fn gets the stored member and changes it (its error is returned,
	// nothing saved); ErrNotFound when there is no such person.
	UpdateStaff(ctx context.Context, institution, id string, fn func(*StaffMember) error) (StaffMember, error)
}

// setupCode is a one-time code of 8 digits for a first sign-in.
func setupCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(100_000_000))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%08d", n.Int64()), nil
}

// AddStaff adds a person to an institution's scanner staff and returns
// the one-time code (shown once) with which they set their PIN at their
// first sign-in on any of its scanners.
func (s *Server) AddStaff(ctx context.Context, institution, name, phone, role string) (StaffMember, string, error) {
	name, phone, role = strings.TrimSpace(name), strings.TrimSpace(phone), strings.TrimSpace(role)
	switch {
	case name == "" || utf8.RuneCountInString(name) > 32 || !validField(name):
		return StaffMember{}, "", fmt.Errorf("%w: the name must be 1 to 32 characters", ErrBadStaffForm)
	case phone != "" && !validPhone(phone):
		return StaffMember{}, "", fmt.Errorf("%w: the phone must be 5 to 20 digits", ErrBadStaffForm)
	case utf8.RuneCountInString(role) > 32 || !validField(role):
		return StaffMember{}, "", fmt.Errorf("%w: the role must be at most 32 characters", ErrBadStaffForm)
	}
	code, err := setupCode()
	if err != nil {
		return StaffMember{}, "", err
	}
	setup, err := pinhash.Hash(code)
	if err != nil {
		return StaffMember{}, "", err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return StaffMember{}, "", err
	}
	now := s.now().UTC()
	m := StaffMember{ID: id.String(), Institution: institution, Name: name, Phone: phone, Role: role, Setup: setup, Created: now, Updated: now}
	if err := s.store.AddStaff(ctx, m); err != nil {
		return StaffMember{}, "", err
	}
	s.log.Info("staff member added", "institution", institution, "staff", m.ID)
	return m, code, nil
}

// SetStaffDisabled disables (or enables again) a person: their scanners
// refuse them from their next sync on.
func (s *Server) SetStaffDisabled(ctx context.Context, institution, id string, disabled bool) error {
	_, err := s.store.UpdateStaff(ctx, institution, id, func(m *StaffMember) error {
		m.Disabled, m.Updated = disabled, s.now().UTC()
		return nil
	})
	if err == nil {
		s.log.Info("staff member changed", "institution", institution, "staff", id, "disabled", disabled)
	}
	return err
}

// ResetStaffPIN forgets a person's PIN and returns a new one-time code
// for a new first sign-in (a forgotten PIN).
func (s *Server) ResetStaffPIN(ctx context.Context, institution, id string) (string, error) {
	code, err := setupCode()
	if err != nil {
		return "", err
	}
	setup, err := pinhash.Hash(code)
	if err != nil {
		return "", err
	}
	_, err = s.store.UpdateStaff(ctx, institution, id, func(m *StaffMember) error {
		m.Verifier, m.Setup, m.Updated = "", setup, s.now().UTC()
		return nil
	})
	if err != nil {
		return "", err
	}
	s.log.Info("staff PIN reset", "institution", institution, "staff", id)
	return code, nil
}

// staffList is an institution's list as its device dev gets it, signed.
func (s *Server) staffList(ctx context.Context, dev Device) (protocol.StaffList, error) {
	staff, err := s.store.Staff(ctx, dev.Institution)
	if err != nil {
		return protocol.StaffList{}, err
	}
	l := protocol.StaffList{Institution: dev.Institution, DeviceID: dev.ID, Staff: make([]protocol.StaffEntry, 0, len(staff))}
	for _, m := range staff {
		e := protocol.StaffEntry{ID: m.ID, Name: m.Name, Role: m.Role, Verifier: m.Verifier, Disabled: m.Disabled}
		if m.Verifier == "" {
			e.Setup = m.Setup
		}
		l.Staff = append(l.Staff, e)
	}
	body, _ := json.Marshal(l.Staff)
	sum := sha256.Sum256(body)
	l.Version = "st-" + hex.EncodeToString(sum[:12])
	l.ServerTime = s.now().UTC()
	l.Signature = ed25519.Sign(s.keys.Server, l.SigningBytes())
	return l, nil
}

// handleStaff answers GET /v1/staff: the device's institution's staff.
func (s *Server) handleStaff(w http.ResponseWriter, r *http.Request, dev Device, _ []byte) {
	l, err := s.staffList(r.Context(), dev)
	if err != nil {
		s.unavailable(w, "staff list", err)
		return
	}
	etag := `"` + l.Version + `"`
	w.Header().Set("ETag", etag)
	for _, m := range strings.Split(r.Header.Get("If-None-Match"), ",") {
		if strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(m), "W/")) == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	s.writeJSON(w, http.StatusOK, l)
}

// handleStaffPIN answers POST /v1/staff/pin: the verifier of a PIN set at
// a first sign-in. The first one wins; a person who has one keeps it.
func (s *Server) handleStaffPIN(w http.ResponseWriter, r *http.Request, dev Device, body []byte) {
	if !s.requireJSON(w, r) {
		return
	}
	var req protocol.StaffPINRequest
	if err := decodeStrict(body, &req); err != nil {
		s.fail(w, http.StatusBadRequest, protocol.ErrBadRequest, "staff PIN: "+err.Error())
		return
	}
	if err := pinhash.Valid(req.Verifier); err != nil {
		s.fail(w, http.StatusBadRequest, protocol.ErrBadRequest, "staff PIN: "+err.Error())
		return
	}
	_, err := s.store.UpdateStaff(r.Context(), dev.Institution, req.ID, func(m *StaffMember) error {
		switch {
		case m.Disabled:
			return ErrStaffOff
		case m.Verifier != "":
			return ErrVerifierSet
		}
		m.Verifier, m.Setup, m.Updated = req.Verifier, "", s.now().UTC()
		return nil
	})
	switch {
	case err == nil:
		s.log.Info("staff PIN set at a first sign-in", "institution", dev.Institution, "staff", req.ID, "device", dev.ID)
		s.writeJSON(w, http.StatusOK, map[string]string{"id": req.ID})
	case errors.Is(err, ErrNotFound):
		s.fail(w, http.StatusNotFound, protocol.ErrNotFound, "no such staff member in this institution")
	case errors.Is(err, ErrVerifierSet):
		s.fail(w, http.StatusConflict, protocol.ErrConflict, "this staff member already has a PIN; the next staff list carries it")
	case errors.Is(err, ErrStaffOff):
		s.fail(w, http.StatusForbidden, protocol.ErrStaffDisabled, "this staff member is disabled by the institution")
	default:
		s.unavailable(w, "staff PIN", err)
	}
}
