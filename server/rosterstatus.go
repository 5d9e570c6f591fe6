package server

import (
	"context"
	"fmt"
	"strconv"

	"hcscan/healthcode"
	"hcscan/protocol"
)

// joinRosterStatus joins status changes (by code hash) with the person
// keys the server has seen those codes carry, or that the change names:
// it keeps each person's latest colour and raises an alert for every
// roster member whose code turned yellow or red. This is the only place a
// code's colour meets a person; the scanner never joins them. Running it
// again for the same changes raises nothing new (an alert is named by the
// status entry's sequence).
func (s *Server) joinRosterStatus(ctx context.Context, changes []StatusChange) error {
	var unnamed []healthcode.CodeHash
	for _, ch := range changes {
		if ch.Person.IsZero() {
			unnamed = append(unnamed, ch.Hash)
		}
	}
	persons := map[healthcode.CodeHash]healthcode.PersonKey{}
	if len(unnamed) > 0 {
		var err error
		if persons, err = s.store.CodePersons(ctx, unnamed); err != nil {
			return fmt.Errorf("join status with the roster: %w", err)
		}
	}
	var statuses []PersonStatus
	var alerts []RosterAlert
	for _, ch := range changes {
		p := ch.Person
		if p.IsZero() {
			p = persons[ch.Hash]
		}
		if p.IsZero() {
			continue // a code no institution follows
		}
		e, found, err := s.store.Status(ctx, ch.Hash)
		if err != nil {
			return fmt.Errorf("join status with the roster: %w", err)
		}
		if !found {
			continue
		}
		statuses = append(statuses, PersonStatus{Person: p, Colour: e.Colour, Updated: e.Updated.UTC(), CodeHash: ch.Hash})
		if !e.Colour.Stops() {
			continue
		}
		ms, err := s.store.MembersByPerson(ctx, p)
		if err != nil {
			return fmt.Errorf("join status with the roster: %w", err)
		}
		kind := protocol.AlertYellow
		if e.Colour == healthcode.Red {
			kind = protocol.AlertRed
		}
		for _, m := range ms {
			alerts = append(alerts, RosterAlert{
				ID: alertID("colour", m.Institution, m.ID, ch.Hash.String(), strconv.FormatUint(e.Seq, 10)), Institution: m.Institution,
				Member: m.ID, Group: m.Group, Role: m.Role, Name: m.ShownName(), Kind: kind, At: e.Updated.UTC(), Raised: s.now().UTC(),
			})
		}
	}
	if len(statuses) > 0 {
		if err := s.store.SetPersonStatuses(ctx, statuses); err != nil {
			return fmt.Errorf("join status with the roster: %w", err)
		}
	}
	if len(alerts) > 0 {
		n, err := s.store.AddRosterAlerts(ctx, alerts)
		if err != nil {
			return fmt.Errorf("join status with the roster: %w", err)
		}
		s.log.Info("roster alerts: codes turned yellow or red", "new", n)
	}
	return nil
}
