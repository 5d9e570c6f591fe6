package store

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/crypto/argon2"
)

// PIN verifier cost: argon2id, RFC 9106's second recommended option
// (t=3, 64 MiB), two lanes for the laptop's two cores.
const (
	kdfTime    = 3
	kdfMemory  = 64 * 1024 // KiB
	kdfThreads = 2
	kdfKeyLen  = 32
)

// After maxPINFailures wrong PINs in a row the operator is locked for pinLockout.
const (
	maxPINFailures = 5
	pinLockout     = 5 * time.Minute
)

// Operator is a designated, real-name scanner staff member on this device.
type Operator struct {
	Name      string    `json:"name"`
	Created   time.Time `json:"created"`
	LastLogin time.Time `json:"last_login,omitempty"`
}

type operatorRec struct {
	Operator
	Salt        []byte    `json:"salt"`
	Hash        []byte    `json:"hash"`
	Time        uint32    `json:"t"`
	Memory      uint32    `json:"m"`
	Threads     uint8     `json:"p"`
	Failures    int       `json:"failures,omitempty"`
	LockedUntil time.Time `json:"locked_until,omitempty"`
}

func checkPINFormat(pin string) error {
	if utf8.RuneCountInString(pin) < 4 {
		return fmt.Errorf("a PIN needs at least 4 characters")
	}
	return nil
}

// AddOperator adds an operator with a PIN; the file keeps only an argon2id
// verifier. A name already taken gives ErrOperatorExists.
func (s *Store) AddOperator(name, pin string) error {
	return s.setOperator(name, pin, false)
}

// SetPIN changes an existing operator's PIN (and clears a lockout).
func (s *Store) SetPIN(name, pin string) error {
	return s.setOperator(name, pin, true)
}

func (s *Store) setOperator(name, pin string, mustExist bool) error {
	name = strings.TrimSpace(name)
	if name == "" {
		return fmt.Errorf("operator needs a name")
	}
	if err := checkPINFormat(pin); err != nil {
		return fmt.Errorf("operator %s: %w", name, err)
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return err
	}
	// The slow hash runs outside the write transaction.
	rec := operatorRec{
		Operator: Operator{Name: name, Created: s.opts.Now()},
		Salt:     salt, Time: kdfTime, Memory: kdfMemory, Threads: kdfThreads,
		Hash: argon2.IDKey([]byte(pin), salt, kdfTime, kdfMemory, kdfThreads, kdfKeyLen),
	}
	err := s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bOperators)
		old := b.Get([]byte(name))
		if old != nil && !mustExist {
			return ErrOperatorExists
		}
		if old == nil && mustExist {
			return ErrNotFound
		}
		if old != nil {
			var o operatorRec
			if err := json.Unmarshal(old, &o); err == nil {
				rec.Created, rec.LastLogin = o.Created, o.LastLogin
			}
		}
		v, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		return b.Put([]byte(name), v)
	})
	if err != nil {
		return fmt.Errorf("operator %s: %w", name, err)
	}
	return nil
}

// RemoveOperator deletes an operator (records keep the name they were made with).
func (s *Store) RemoveOperator(name string) error {
	err := s.update(func(tx *bolt.Tx) error {
		if tx.Bucket(bOperators).Get([]byte(name)) == nil {
			return ErrNotFound
		}
		return tx.Bucket(bOperators).Delete([]byte(name))
	})
	if err != nil {
		return fmt.Errorf("remove operator %s: %w", name, err)
	}
	return nil
}

// CheckPIN reports whether pin is name's PIN. A person on the province's
// staff list is checked there first (ErrStaffDisabled, ErrChoosePIN at a
// first sign-in); then local operators. An unknown name answers false.
// After 5 wrong PINs in a row the operator is locked for 5 minutes
// (ErrOperatorLocked), even for the right PIN.
func (s *Store) CheckPIN(name, pin string) (bool, error) {
	if m, ok, err := s.staffMember(name); err != nil {
		return false, fmt.Errorf("check PIN of %s: %w", name, err)
	} else if ok {
		return s.checkStaffPIN(m, pin)
	}
	var rec operatorRec
	err := s.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bOperators).Get([]byte(name))
		if v == nil {
			return ErrNotFound
		}
		return json.Unmarshal(v, &rec)
	})
	if err == ErrNotFound {
		// Spend the same time as for a known name.
		argon2.IDKey([]byte(pin), make([]byte, 16), kdfTime, kdfMemory, kdfThreads, kdfKeyLen)
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("check PIN of %s: %w", name, err)
	}
	now := s.opts.Now()
	if now.Before(rec.LockedUntil) {
		return false, &LockedError{Operator: name, Until: rec.LockedUntil.In(s.opts.Location)}
	}
	got := argon2.IDKey([]byte(pin), rec.Salt, rec.Time, rec.Memory, rec.Threads, uint32(len(rec.Hash)))
	ok := subtle.ConstantTimeCompare(got, rec.Hash) == 1
	err = s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bOperators)
		var cur operatorRec
		v := b.Get([]byte(name))
		if v == nil {
			return nil
		}
		if err := json.Unmarshal(v, &cur); err != nil {
			return err
		}
		if ok {
			cur.Failures, cur.LockedUntil, cur.LastLogin = 0, time.Time{}, now
		} else {
			cur.Failures++
			if cur.Failures >= maxPINFailures {
				cur.Failures, cur.LockedUntil = 0, now.Add(pinLockout)
			}
		}
		nv, err := json.Marshal(cur)
		if err != nil {
			return err
		}
		return b.Put([]byte(name), nv)
	})
	if err != nil {
		return false, fmt.Errorf("check PIN of %s: %w", name, err)
	}
	return ok, nil
}

// LockedError says an operator is locked after wrong PINs, until when.
type LockedError struct {
	Operator string
	Until    time.Time
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("operator %s may try again at %s", e.Operator, e.Until.Format("15:04:05"))
}

func (e *LockedError) Unwrap() error { return ErrOperatorLocked }

// PINTriesLeft is how many wrong PINs the operator may still type before
// the lock-out (0 while locked: LockedError says until when). An unknown
// name is ErrNotFound.
func (s *Store) PINTriesLeft(name string) (int, error) {
	if m, ok, err := s.staffMember(name); err != nil {
		return 0, err
	} else if ok {
		if s.opts.Now().Before(m.LockedUntil) {
			return 0, &LockedError{Operator: m.Name, Until: m.LockedUntil.In(s.opts.Location)}
		}
		return maxPINFailures - m.Failures, nil
	}
	var rec operatorRec
	err := s.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bOperators).Get([]byte(name))
		if v == nil {
			return ErrNotFound
		}
		return json.Unmarshal(v, &rec)
	})
	if err != nil {
		return 0, err
	}
	if s.opts.Now().Before(rec.LockedUntil) {
		return 0, &LockedError{Operator: name, Until: rec.LockedUntil.In(s.opts.Location)}
	}
	return maxPINFailures - rec.Failures, nil
}

// Operators lists the operators by name.
func (s *Store) Operators() ([]Operator, error) {
	var out []Operator
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bOperators).ForEach(func(_, v []byte) error {
			var o operatorRec
			if err := json.Unmarshal(v, &o); err != nil {
				return err
			}
			out = append(out, o.Operator)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("operators: %w", err)
	}
	return out, nil
}
