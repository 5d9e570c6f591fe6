package server

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Institution states: an application waits for the province, which
// approves or refuses it. Only an approved institution makes enrolment
// tokens and portal logins.
const (
	InstitutionPending  = "pending"
	InstitutionApproved = "approved"
	InstitutionRefused  = "refused"
)

// InstitutionKinds are the types of institution that check codes at their doors.
var InstitutionKinds = []string{"government", "company", "school", "kindergarten", "care_home", "shop", "residential", "clinic"}

// DefaultTimeZone is the zone of an institution that names none.
const DefaultTimeZone = "Asia/Shanghai"

// Institution is a registered institution: its name is its key everywhere
// (devices, records, tokens).
type Institution struct {
	Name     string    `json:"name"`
	Kind     string    `json:"kind"` // one of InstitutionKinds
	Address  string    `json:"address"`
	Contact  string    `json:"contact"` // a person's name
	Phone    string    `json:"phone"`
	TimeZone string    `json:"time_zone"` // IANA name, e.g. Asia/Shanghai
	State    string    `json:"state"`
	Applied  time.Time `json:"applied"`
	Decided  time.Time `json:"decided,omitzero"`
	// DecidedBy names the province login or "province" (the command line).
	DecidedBy string `json:"decided_by,omitempty"`
	// Note is the province's reason for a refusal.
	Note string `json:"note,omitempty"`
}

// Errors about institutions.
var (
	ErrInstitutionExists = errors.New("an institution of that name is already registered")
	ErrNotApproved       = errors.New("the institution is not approved by the province")
)

// InstitutionStore keeps the registered institutions.
type InstitutionStore interface {
	// AddInstitution registers in (ErrInstitutionExists for a taken name).
	AddInstitution(ctx context.Context, in Institution) error
	// Institution finds one (ErrNotFound).
	Institution(ctx context.Context, name string) (Institution, error)
	// Institutions lists those in state ("" for all), oldest application first.
	Institutions(ctx context.Context, state string) ([]Institution, error)
	// DecideInstitution approves or refuses a pending institution
	// (ErrNotFound; ErrInstitutionDecided when it is not pending).
	DecideInstitution(ctx context.Context, name, state, by, note string, now time.Time) (Institution, error)
}

// ErrInstitutionDecided: the application was already approved or refused.
var ErrInstitutionDecided = errors.New("the institution's application was already decided")

// Check says what is wrong with an application, in words for the applicant.
func (in *Institution) Check() error {
	in.Name, in.Address, in.Contact, in.Phone = strings.TrimSpace(in.Name), strings.TrimSpace(in.Address), strings.TrimSpace(in.Contact), strings.TrimSpace(in.Phone)
	switch {
	case in.Name == "" || !validField(in.Name) || utf8.RuneCountInString(in.Name) > 64:
		return errors.New("name: 1 to 64 characters")
	case !knownKind(in.Kind):
		return fmt.Errorf("type: one of %s", strings.Join(InstitutionKinds, ", "))
	case in.Address == "" || !validField(in.Address):
		return fmt.Errorf("address: 1 to %d bytes", maxFieldLen)
	case in.Contact == "" || !validField(in.Contact):
		return fmt.Errorf("contact: 1 to %d bytes", maxFieldLen)
	case !validPhone(in.Phone):
		return errors.New("phone: 5 to 20 digits (spaces, -, + and () allowed)")
	}
	if in.TimeZone == "" {
		in.TimeZone = DefaultTimeZone
	}
	if _, err := time.LoadLocation(in.TimeZone); err != nil {
		return fmt.Errorf("time zone %q: %w", in.TimeZone, err)
	}
	return nil
}

func knownKind(k string) bool {
	for _, x := range InstitutionKinds {
		if x == k {
			return true
		}
	}
	return false
}

func validPhone(p string) bool {
	digits := 0
	for _, r := range p {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune(" -+()", r):
		default:
			return false
		}
	}
	return digits >= 5 && digits <= 20
}

// Location is the institution's time zone (the default when unknown).
func (in Institution) Location() *time.Location {
	if loc, err := time.LoadLocation(in.TimeZone); err == nil && in.TimeZone != "" {
		return loc
	}
	return DefaultLocation()
}

// DefaultLocation is DefaultTimeZone, or UTC+8 where the system has no
// zone database.
func DefaultLocation() *time.Location {
	if loc, err := time.LoadLocation(DefaultTimeZone); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*3600)
}

// Register takes an institution's application (pending) and makes the
// first admin login of it, which logs in once the province approves. The
// login's text is shown once.
func (s *Server) Register(ctx context.Context, in Institution) (string, error) {
	if err := in.Check(); err != nil {
		return "", err
	}
	in.State, in.Applied = InstitutionPending, s.now().UTC()
	in.Decided, in.DecidedBy, in.Note = time.Time{}, "", ""
	if err := s.store.AddInstitution(ctx, in); err != nil {
		return "", err
	}
	text, _, err := s.putToken(ctx, TokenPortal, in.Name, "", "applicant")
	if err != nil {
		return "", err
	}
	s.log.Info("institution applied", "institution", in.Name, "kind", in.Kind)
	return text, nil
}

// DecideInstitution approves (approve true) or refuses an application.
func (s *Server) DecideInstitution(ctx context.Context, name string, approve bool, by, note string) (Institution, error) {
	state := InstitutionRefused
	if approve {
		state = InstitutionApproved
	}
	in, err := s.store.DecideInstitution(ctx, strings.TrimSpace(name), state, by, clip(strings.TrimSpace(note), maxFieldLen), s.now().UTC())
	if err != nil {
		return in, fmt.Errorf("decide on %s: %w", name, err)
	}
	s.log.Info("institution decided", "institution", in.Name, "state", state, "by", by)
	return in, nil
}

// approvedInstitution finds the institution a token is made for: an
// unknown name is registered and approved at once (the province itself
// asks, on its command line or for an institution from before
// registration); a pending or refused one is ErrNotApproved.
func (s *Server) approvedInstitution(ctx context.Context, name string) error {
	in, err := s.store.Institution(ctx, name)
	if errors.Is(err, ErrNotFound) {
		now := s.now().UTC()
		in = Institution{Name: name, TimeZone: DefaultTimeZone, State: InstitutionApproved, Applied: now, Decided: now, DecidedBy: "province"}
		if err := s.store.AddInstitution(ctx, in); err != nil && !errors.Is(err, ErrInstitutionExists) {
			return err
		}
		return nil
	}
	if err != nil {
		return err
	}
	if in.State != InstitutionApproved {
		return fmt.Errorf("%s: %w (it is %s)", name, ErrNotApproved, in.State)
	}
	return nil
}
