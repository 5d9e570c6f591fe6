package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"hcscan/healthcode"
	"hcscan/protocol"
)

// noteRoster follows up a stored batch for the institution's roster: it
// keeps the checks of records that carry a person key, links the people
// enrolled in roster mode, and raises an alert for each member with a
// fever. It runs for stored and duplicate records alike, so a retry of a
// batch whose follow-up failed finishes the job.
func (s *Server) noteRoster(ctx context.Context, dev Device, batch []IngestRecord, results []protocol.RecordResult) error {
	var checks []RosterCheck
	var enrol []*healthcode.Record
	for i := range batch {
		r := &batch[i].Record
		if i >= len(results) || !results[i].Status.Acknowledged() || r.PersonKey.IsZero() || r.Manual {
			continue
		}
		checks = append(checks, RosterCheck{
			Institution: dev.Institution, Person: r.PersonKey, CodeHash: r.CodeHash, DeviceID: dev.ID, RecordID: r.ID,
			Gate: r.Gate, At: When(r).UTC(), Temperature: r.Temperature, Fever: r.Fever, Verdict: r.Verdict,
			Colour: r.EffectiveColour, Name: r.Name,
		})
		if r.EnrolGroup != "" {
			enrol = append(enrol, r)
		}
	}
	if len(checks) == 0 {
		return nil
	}
	if len(enrol) > 0 {
		if err := s.enrolAtGate(ctx, dev.Institution, enrol); err != nil {
			return fmt.Errorf("roster enrolment: %w", err)
		}
	}
	if err := s.store.NoteRosterChecks(ctx, checks); err != nil {
		return fmt.Errorf("roster checks: %w", err)
	}
	var alerts []RosterAlert
	for _, c := range checks {
		if !c.Fever {
			continue
		}
		ms, err := s.store.MembersByPerson(ctx, c.Person)
		if err != nil {
			return fmt.Errorf("roster fever: %w", err)
		}
		for _, m := range ms {
			if m.Institution != dev.Institution {
				continue // another institution's member: not this one's business
			}
			alerts = append(alerts, RosterAlert{
				ID: alertID("fever", m.Institution, c.DeviceID, c.RecordID), Institution: m.Institution, Member: m.ID,
				Group: m.Group, Role: m.Role, Name: m.ShownName(), Kind: protocol.AlertFever, At: c.At, Gate: c.Gate,
				Temperature: c.Temperature, DeviceID: c.DeviceID, RecordID: c.RecordID, Raised: s.now().UTC(),
			})
		}
	}
	if len(alerts) > 0 {
		n, err := s.store.AddRosterAlerts(ctx, alerts)
		if err != nil {
			return fmt.Errorf("roster fever alerts: %w", err)
		}
		if n > 0 {
			s.log.Info("roster alerts: fever", "institution", dev.Institution, "new", n)
		}
	}
	return nil
}

// enrolAtGate links the people scanned in roster mode: the operator put
// each in a group. A person already on the roster moves to that group; an
// entry of the group not yet linked whose name masks to what the code
// shows is linked; otherwise (no such entry, or two alike) the person is
// added unconfirmed, for the institution to settle in the portal.
func (s *Server) enrolAtGate(ctx context.Context, institution string, recs []*healthcode.Record) error {
	for attempt := 0; ; attempt++ {
		err := s.enrolOnce(ctx, institution, recs)
		if errors.Is(err, ErrPersonTaken) && attempt == 0 {
			continue // another batch linked one of them meanwhile: read again
		}
		return err
	}
}

func (s *Server) enrolOnce(ctx context.Context, institution string, recs []*healthcode.Record) error {
	ms, err := s.store.RosterMembers(ctx, institution)
	if err != nil {
		return err
	}
	byPerson := map[healthcode.PersonKey]*RosterMember{}
	for i := range ms {
		if ms[i].IsLinked() {
			byPerson[ms[i].Person] = &ms[i]
		}
	}
	groupRole := map[string]healthcode.Role{}
	for _, g := range RosterGroups(ms) {
		groupRole[g.Name] = g.Role
	}
	changed := map[string]*RosterMember{}
	added := make([]RosterMember, 0, len(recs)) // never grows past its capacity: byPerson points into it
	isNew := map[string]bool{}
	for _, r := range recs {
		role := r.EnrolRole
		if role == healthcode.RoleNone {
			role = groupRole[r.EnrolGroup]
		}
		if m := byPerson[r.PersonKey]; m != nil {
			if m.Group != r.EnrolGroup {
				m.Group, m.Role = r.EnrolGroup, role
				if !isNew[m.ID] {
					changed[m.ID] = m
				}
			}
			continue
		}
		var match []*RosterMember
		for i := range ms {
			m := &ms[i]
			if !m.IsLinked() && m.Group == r.EnrolGroup && healthcode.MaskName(m.Name) == r.Name {
				match = append(match, m)
			}
		}
		now := s.now().UTC()
		if len(match) == 1 {
			m := match[0]
			m.Person, m.Masked, m.Linked = r.PersonKey, r.Name, now
			changed[m.ID] = m
			byPerson[r.PersonKey] = m
			continue
		}
		m := s.newMember(institution, RosterEntry{Name: r.Name, Group: r.EnrolGroup, Role: role})
		m.Person, m.Masked, m.Linked, m.Unconfirmed = r.PersonKey, r.Name, now, true
		added = append(added, m)
		isNew[m.ID] = true
		byPerson[r.PersonKey] = &added[len(added)-1]
	}
	put := added
	for _, m := range changed {
		put = append(put, *m)
	}
	if len(put) == 0 {
		return nil
	}
	if len(ms)+len(added) > MaxRosterMembers {
		return fmt.Errorf("a roster holds at most %d people", MaxRosterMembers)
	}
	if err := s.store.PutRosterMembers(ctx, institution, put); err != nil {
		return err
	}
	s.log.Info("roster: people linked at the gate", "institution", institution, "linked", len(changed), "added_unconfirmed", len(added))
	return nil
}

// alertID names an alert by what it is about, so the same event raised
// twice (a retried batch, a repeated status change) is one alert.
func alertID(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}
