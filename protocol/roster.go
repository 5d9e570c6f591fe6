package protocol

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"hcscan/healthcode"
)

// PathRoster serves a scanner its institution's roster (GET, signed
// request): what the gate needs to recognise the institution's own people
// and the alerts about them, signed by the server key (DocRoster), with an
// ETag so an unchanged roster costs a 304.
const PathRoster = "/v1/roster"

// DocRoster is the SignedDoc kind of a roster.
const DocRoster = "roster"

// Roster is what a scanner keeps of its institution's people: person keys
// and group names, never a name in clear. Alerts name a member only by the
// masked name a code shows.
type Roster struct {
	Institution string        `json:"institution"`
	Groups      []RosterGroup `json:"groups"`
	Members     []RosterEntry `json:"members"`
	Alerts      []RosterAlert `json:"alerts"`
}

// RosterGroup is a class, department or floor, with the role most of its
// members have (what roster mode at the gate enrols a person as).
type RosterGroup struct {
	Name    string          `json:"name"`
	Role    healthcode.Role `json:"role"`
	Members int             `json:"members"`
}

// RosterEntry is one linked member: the person key the codes carry.
type RosterEntry struct {
	Person healthcode.PersonKey `json:"person"`
	Group  string               `json:"group"`
	Role   healthcode.Role      `json:"role"`
}

// Alert kinds about a roster member.
const (
	AlertYellow = "yellow" // the member's code turned yellow
	AlertRed    = "red"    // the member's code turned red
	AlertFever  = "fever"  // the member had a fever at one of the institution's gates
)

// RosterAlert is one alert about a member, as a scanner shows it: the
// group and the masked name, nothing more.
type RosterAlert struct {
	ID          string                 `json:"id"`
	Kind        string                 `json:"kind"`
	Group       string                 `json:"group"`
	Role        healthcode.Role        `json:"role"`
	Name        string                 `json:"name_masked"`
	At          time.Time              `json:"at"`
	Gate        string                 `json:"gate,omitempty"`
	Temperature healthcode.Temperature `json:"temperature"`
}

// Limits of a roster a scanner accepts.
const (
	MaxRosterMembers = 100_000
	MaxRosterBody    = 32 << 20
)

// ParseRoster opens a signed roster with the server key and checks that it
// is the roster of institution.
func ParseRoster(data []byte, serverKey []byte, institution string) (*Roster, error) {
	if len(data) > MaxRosterBody {
		return nil, fmt.Errorf("roster: %d bytes, more than %d", len(data), MaxRosterBody)
	}
	body, err := healthcode.OpenDoc(data, DocRoster, serverKey)
	if err != nil {
		return nil, err
	}
	var r Roster
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("roster: %w", err)
	}
	if r.Institution != institution {
		return nil, fmt.Errorf("roster of %q, not of this scanner's institution %q", r.Institution, institution)
	}
	if len(r.Members) > MaxRosterMembers {
		return nil, fmt.Errorf("roster: %d members, more than %d", len(r.Members), MaxRosterMembers)
	}
	for _, m := range r.Members {
		if m.Person.IsZero() {
			return nil, errors.New("roster: a member without a person key")
		}
	}
	return &r, nil
}
