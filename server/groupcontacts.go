package server

import (
	"context"
	"time"
)

// GroupContacts is what the tracing staff need from a case among an
// institution's people: the members of the case's group, and everyone who
// passed the same gates within the window around each of the case's
// checks in the period.
type GroupContacts struct {
	Case       RosterMember
	Checks     []RosterCheck  // the case's checks in the period
	Groupmates []RosterMember // the rest of the case's group
	AtGates    []StoredRecord // who passed a gate the case passed, within the window (the case's own checks left out)
}

// GroupContacts lists the contacts of the member memberID of institution
// for the checks in [from, to) (ErrNotFound for a member not there).
func (s *Server) GroupContacts(ctx context.Context, institution, memberID string, from, to time.Time, window time.Duration) (*GroupContacts, error) {
	ms, err := s.store.RosterMembers(ctx, institution)
	if err != nil {
		return nil, err
	}
	gc := &GroupContacts{}
	found := false
	for _, m := range ms {
		if m.ID == memberID {
			gc.Case, found = m, true
		}
	}
	if !found {
		return nil, ErrNotFound
	}
	for _, m := range ms {
		if m.Group == gc.Case.Group && m.ID != memberID {
			gc.Groupmates = append(gc.Groupmates, m)
		}
	}
	if !gc.Case.IsLinked() {
		return gc, nil
	}
	checks, err := s.store.RosterChecks(ctx, institution, from, to)
	if err != nil {
		return nil, err
	}
	own := map[string]bool{}
	for _, c := range checks {
		if c.Person == gc.Case.Person {
			gc.Checks = append(gc.Checks, c)
			own[c.DeviceID+"\x00"+c.RecordID] = true
		}
	}
	seen := map[string]bool{}
	for _, c := range gc.Checks {
		recs, err := s.store.GateWindow(ctx, institution, c.Gate, c.At.Add(-window), c.At.Add(window))
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			k := r.DeviceID + "\x00" + r.ID
			if own[k] || seen[k] {
				continue
			}
			seen[k] = true
			gc.AtGates = append(gc.AtGates, r)
		}
	}
	return gc, nil
}

// MemberOfRecord finds the roster member a record of institution belongs
// to, by the person key it carries (false: none).
func (s *Server) MemberOfRecord(ctx context.Context, institution string, rec StoredRecord) (RosterMember, bool, error) {
	if rec.PersonKey.IsZero() || rec.DeviceInstitution != institution {
		return RosterMember{}, false, nil
	}
	ms, err := s.store.MembersByPerson(ctx, rec.PersonKey)
	if err != nil {
		return RosterMember{}, false, err
	}
	for _, m := range ms {
		if m.Institution == institution {
			return m, true, nil
		}
	}
	return RosterMember{}, false, nil
}
