package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"hcscan/internal/pinhash"
)

// The institution's designated scanner staff, as the province last sent
// them (kept in the cache bucket under one key, like the trust list: it is
// the province's data, fetched again when lost). A person on this list
// signs in with the PIN they chose at their first sign-in on any of the
// institution's scanners; a name on it is never checked against a local
// operator of the same name, so a person the institution disabled stays
// refused.
var kStaffList = []byte("staff.list")

// Staff errors the sign-in screen tells apart.
var (
	// ErrStaffDisabled: the institution disabled this person.
	ErrStaffDisabled = errors.New("disabled by the institution")
	// ErrChoosePIN: the first sign-in code was right; the person now
	// chooses a PIN (SetFirstPIN).
	ErrChoosePIN = errors.New("first sign-in: choose a PIN")
	// ErrNoSetupCode: the person has no PIN yet and no code to set one
	// (reset in the portal, then sync).
	ErrNoSetupCode = errors.New("no PIN yet and no first sign-in code: ask the institution's admin to reset the PIN, then sync")
)

// StaffMember is one person of the province's staff list on this scanner.
type StaffMember struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Role     string `json:"role,omitempty"`
	Verifier string `json:"verifier,omitempty"` // argon2id of the PIN
	Setup    string `json:"setup,omitempty"`    // argon2id of the first sign-in code
	Disabled bool   `json:"disabled,omitempty"`
	// Unsent: Verifier was set here at a first sign-in and not yet taken
	// by the province.
	Unsent      bool      `json:"unsent,omitempty"`
	Failures    int       `json:"failures,omitempty"`
	LockedUntil time.Time `json:"locked_until,omitzero"`
	LastLogin   time.Time `json:"last_login,omitzero"`
}

type staffList struct {
	Version string        `json:"version"`
	Fetched time.Time     `json:"fetched"`
	Staff   []StaffMember `json:"staff"`
}

func (s *Store) readStaff(tx *bolt.Tx) (staffList, error) {
	var l staffList
	v := tx.Bucket(bCache).Get(kStaffList)
	if v == nil {
		return l, nil
	}
	return l, json.Unmarshal(v, &l)
}

func (s *Store) writeStaff(tx *bolt.Tx, l staffList) error {
	v, err := json.Marshal(l)
	if err != nil {
		return err
	}
	return tx.Bucket(bCache).Put(kStaffList, v)
}

// StaffVersion is the version of the staff list held ("" for none).
func (s *Store) StaffVersion() (string, error) {
	var l staffList
	err := s.view(func(tx *bolt.Tx) (err error) { l, err = s.readStaff(tx); return err })
	return l.Version, err
}

// Staff lists the staff members held, as the province sent them.
func (s *Store) Staff() ([]StaffMember, error) {
	var l staffList
	err := s.view(func(tx *bolt.Tx) (err error) { l, err = s.readStaff(tx); return err })
	return l.Staff, err
}

// ReplaceStaff keeps a new staff list from the province. A PIN set here
// and not yet sent stays, unless the province already holds one for that
// person (set first on another scanner: the province's wins). Wrong-PIN
// counts stay with each person.
func (s *Store) ReplaceStaff(members []StaffMember, version string, fetched time.Time) error {
	err := s.update(func(tx *bolt.Tx) error {
		old, err := s.readStaff(tx)
		if err != nil {
			return err
		}
		byID := map[string]StaffMember{}
		for _, m := range old.Staff {
			byID[m.ID] = m
		}
		l := staffList{Version: version, Fetched: fetched, Staff: make([]StaffMember, 0, len(members))}
		for _, m := range members {
			m.Unsent = false
			if o, ok := byID[m.ID]; ok {
				m.Failures, m.LockedUntil, m.LastLogin = o.Failures, o.LockedUntil, o.LastLogin
				if m.Verifier == "" && o.Unsent && !m.Disabled {
					m.Verifier, m.Unsent, m.Setup = o.Verifier, true, ""
				}
			}
			l.Staff = append(l.Staff, m)
		}
		return s.writeStaff(tx, l)
	})
	if err != nil {
		return fmt.Errorf("save the staff list: %w", err)
	}
	return nil
}

// UnsentStaffPINs lists the people who chose a PIN here that the province
// has not taken yet.
func (s *Store) UnsentStaffPINs() ([]StaffMember, error) {
	all, err := s.Staff()
	var out []StaffMember
	for _, m := range all {
		if m.Unsent {
			out = append(out, m)
		}
	}
	return out, err
}

// StaffPINSent marks a person's PIN as taken by the province (or refused
// for good: the next staff list says what holds).
func (s *Store) StaffPINSent(id string) error {
	return s.changeStaff(func(l *staffList) error {
		for i := range l.Staff {
			if l.Staff[i].ID == id {
				l.Staff[i].Unsent = false
			}
		}
		return nil
	})
}

func (s *Store) changeStaff(fn func(*staffList) error) error {
	return s.update(func(tx *bolt.Tx) error {
		l, err := s.readStaff(tx)
		if err != nil {
			return err
		}
		if err := fn(&l); err != nil {
			return err
		}
		return s.writeStaff(tx, l)
	})
}

// staffMember finds a person on the staff list by name.
func (s *Store) staffMember(name string) (StaffMember, bool, error) {
	all, err := s.Staff()
	for _, m := range all {
		if m.Name == name {
			return m, true, err
		}
	}
	return StaffMember{}, false, err
}

// StaffAllowed reports ErrStaffDisabled when name is on the staff list
// and disabled (nil for anyone else, local operators included).
func (s *Store) StaffAllowed(name string) error {
	m, ok, err := s.staffMember(name)
	if err != nil {
		return err
	}
	if ok && m.Disabled {
		return fmt.Errorf("%s: %w", name, ErrStaffDisabled)
	}
	return nil
}

// checkStaffPIN checks a staff member's PIN (or, before their first
// sign-in, their one-time code: ErrChoosePIN when right), with the same
// lock-out after wrong tries as local operators.
func (s *Store) checkStaffPIN(m StaffMember, pin string) (bool, error) {
	now := s.opts.Now()
	switch {
	case m.Disabled:
		return false, fmt.Errorf("%s: %w", m.Name, ErrStaffDisabled)
	case now.Before(m.LockedUntil):
		return false, &LockedError{Operator: m.Name, Until: m.LockedUntil.In(s.opts.Location)}
	case m.Verifier == "" && m.Setup == "":
		return false, fmt.Errorf("%s: %w", m.Name, ErrNoSetupCode)
	}
	verifier := m.Verifier
	if verifier == "" {
		verifier = m.Setup
	}
	ok, err := pinhash.Check(verifier, pin)
	if err != nil {
		return false, fmt.Errorf("check PIN of %s: %w", m.Name, err)
	}
	if err := s.noteStaffTry(m.ID, ok, now); err != nil {
		return false, err
	}
	if ok && m.Verifier == "" {
		return false, ErrChoosePIN
	}
	return ok, nil
}

func (s *Store) noteStaffTry(id string, ok bool, now time.Time) error {
	return s.changeStaff(func(l *staffList) error {
		for i := range l.Staff {
			m := &l.Staff[i]
			if m.ID != id {
				continue
			}
			if ok {
				m.Failures, m.LockedUntil = 0, time.Time{}
				if m.Verifier != "" {
					m.LastLogin = now
				}
			} else if m.Failures++; m.Failures >= maxPINFailures {
				m.Failures, m.LockedUntil = 0, now.Add(pinLockout)
			}
		}
		return nil
	})
}

// SetFirstPIN is a staff member's first sign-in: with the one-time code
// from their admin they choose a PIN. Only its argon2id verifier is kept,
// and the next sync sends that to the province, which hands it to the
// institution's other scanners.
func (s *Store) SetFirstPIN(name, code, pin string) error {
	if err := checkPINFormat(pin); err != nil {
		return err
	}
	m, found, err := s.staffMember(name)
	if err != nil {
		return err
	}
	if !found {
		return ErrNotFound
	}
	if m.Verifier != "" {
		return fmt.Errorf("%s already has a PIN", name)
	}
	if _, err := s.checkStaffPIN(m, code); !errors.Is(err, ErrChoosePIN) {
		if err == nil {
			err = errors.New("wrong first sign-in code")
		}
		return err
	}
	v, err := pinhash.Hash(pin)
	if err != nil {
		return err
	}
	now := s.opts.Now()
	err = s.changeStaff(func(l *staffList) error {
		for i := range l.Staff {
			if l.Staff[i].ID == m.ID {
				l.Staff[i].Verifier, l.Staff[i].Setup, l.Staff[i].Unsent, l.Staff[i].LastLogin = v, "", true, now
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("save the PIN of %s: %w", name, err)
	}
	return nil
}
