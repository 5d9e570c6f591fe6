package server

import (
	"context"
	"errors"
	"sort"
	"time"

	"hcscan/healthcode"
)

// An institution's roster: its own people (staff, students, children,
// elderly residents) in groups, each linked to the person key their codes
// carry by a first scan in roster mode at one of its gates. The roster
// belongs to that institution alone: its portal shows it, its scanners get
// the person keys and group names (never the names), and the province's
// tracing staff see it only with an audited reason.

// RosterMember is one of an institution's people.
type RosterMember struct {
	ID          string               `json:"id"` // made by the server
	Institution string               `json:"institution"`
	Name        string               `json:"name"` // as the institution knows it; stays in its portal
	Group       string               `json:"group"`
	Role        healthcode.Role      `json:"role"`
	Person      healthcode.PersonKey `json:"person,omitzero"`  // zero until a scan linked the member
	Masked      string               `json:"masked,omitempty"` // the masked name the code showed at linking
	// Unconfirmed is set on a member the gate added because the scan
	// matched no single entry of its group (no entry, or two with the same
	// masked name): the portal asks which entry it is.
	Unconfirmed bool      `json:"unconfirmed,omitempty"`
	Added       time.Time `json:"added"`
	Linked      time.Time `json:"linked,omitzero"`
}

// IsLinked reports whether a scan has linked the member to a person key.
func (m RosterMember) IsLinked() bool { return !m.Person.IsZero() }

// ShownName is the member's name as a scanner or an alert may show it:
// the masked name the code showed, or the institution's name masked.
func (m RosterMember) ShownName() string {
	if m.Masked != "" {
		return m.Masked
	}
	return healthcode.MaskName(m.Name)
}

// RosterCheck is one check at an institution's gate of a person whose
// code carried a person key (the scanner records it only for the
// institution's own people and for enrolment in roster mode).
type RosterCheck struct {
	Institution string                 `json:"institution"`
	Person      healthcode.PersonKey   `json:"person"`
	CodeHash    healthcode.CodeHash    `json:"code_hash"`
	DeviceID    string                 `json:"device_id"`
	RecordID    string                 `json:"record_id"`
	Gate        string                 `json:"gate"`
	At          time.Time              `json:"at"`
	Temperature healthcode.Temperature `json:"temperature"`
	Fever       bool                   `json:"fever,omitempty"`
	Verdict     healthcode.Verdict     `json:"verdict"`
	Colour      healthcode.Colour      `json:"colour"` // effective colour at the gate
	Name        string                 `json:"name_masked"`
}

// PersonStatus is the latest colour the province gave a person's code, as
// the server learnt it by joining the status feed (by code hash) with the
// person keys of the codes it has seen.
type PersonStatus struct {
	Person   healthcode.PersonKey `json:"person"`
	Colour   healthcode.Colour    `json:"colour"`
	Updated  time.Time            `json:"updated"`
	CodeHash healthcode.CodeHash  `json:"code_hash"`
}

// RosterAlert is an alert about one member of an institution: the code
// turned yellow or red, or a fever at one of its gates.
type RosterAlert struct {
	ID          string                 `json:"id"` // stable: the same event gives the same id
	Institution string                 `json:"institution"`
	Member      string                 `json:"member"` // RosterMember.ID
	Group       string                 `json:"group"`
	Role        healthcode.Role        `json:"role"`
	Name        string                 `json:"name_masked"`
	Kind        string                 `json:"kind"` // protocol.AlertYellow, AlertRed, AlertFever
	At          time.Time              `json:"at"`   // when it happened
	Gate        string                 `json:"gate,omitempty"`
	Temperature healthcode.Temperature `json:"temperature"`
	DeviceID    string                 `json:"device_id,omitempty"` // the check, for a fever
	RecordID    string                 `json:"record_id,omitempty"`
	Raised      time.Time              `json:"raised"`
}

// Errors of a RosterStore.
var (
	// ErrPersonTaken: another member of the institution already has
	// this person key.
	ErrPersonTaken = errors.New("this person is already on the institution's roster")
)

// RosterStore keeps institutions' rosters, the checks of their people,
// the people's latest colours and the alerts about them.
type RosterStore interface {
	// PutRosterMembers adds members, or replaces those with the same id,
	// in one transaction; ErrPersonTaken when a person key would be on two
	// members of one institution.
	PutRosterMembers(ctx context.Context, institution string, ms []RosterMember) error
	// DeleteRosterMembers removes members of an institution by id (ErrNotFound
	// when one is not there; nothing is removed then).
	DeleteRosterMembers(ctx context.Context, institution string, ids []string) error
	// RosterMembers lists an institution's members by group, then name.
	RosterMembers(ctx context.Context, institution string) ([]RosterMember, error)
	// MembersByPerson lists the members (of any institution) linked to a person key.
	MembersByPerson(ctx context.Context, person healthcode.PersonKey) ([]RosterMember, error)

	// NoteRosterChecks keeps checks (again is harmless: one per device
	// and record) and which person each code hash belongs to.
	NoteRosterChecks(ctx context.Context, checks []RosterCheck) error
	// RosterChecks lists an institution's checks with At in [from, to), in time order.
	RosterChecks(ctx context.Context, institution string, from, to time.Time) ([]RosterCheck, error)
	// CodePersons answers the person key of each code hash seen in a check.
	CodePersons(ctx context.Context, hashes []healthcode.CodeHash) (map[healthcode.CodeHash]healthcode.PersonKey, error)

	// SetPersonStatuses keeps each person's latest colour (a newer Updated wins).
	SetPersonStatuses(ctx context.Context, ps []PersonStatus) error
	// PersonStatuses lists the latest colour of an institution's linked members.
	PersonStatuses(ctx context.Context, institution string) ([]PersonStatus, error)

	// AddRosterAlerts keeps alerts; one with an id already kept is skipped.
	// It answers how many were new.
	AddRosterAlerts(ctx context.Context, as []RosterAlert) (int, error)
	// RosterAlerts lists an institution's alerts raised at or after since, newest first.
	RosterAlerts(ctx context.Context, institution string, since time.Time) ([]RosterAlert, error)
}

// SortMembers puts members in the order RosterMembers answers: by group,
// then name, then id, comparing bytes.
func SortMembers(ms []RosterMember) {
	sort.Slice(ms, func(i, j int) bool {
		a, b := &ms[i], &ms[j]
		if a.Group != b.Group {
			return a.Group < b.Group
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.ID < b.ID
	})
}

// SortChecks puts checks in the order RosterChecks answers: by time, then
// device and record.
func SortChecks(cs []RosterCheck) {
	sort.Slice(cs, func(i, j int) bool {
		a, b := &cs[i], &cs[j]
		if !a.At.Equal(b.At) {
			return a.At.Before(b.At)
		}
		if a.DeviceID != b.DeviceID {
			return a.DeviceID < b.DeviceID
		}
		return a.RecordID < b.RecordID
	})
}
