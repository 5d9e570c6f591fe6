package server

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"hcscan/healthcode"
)

// Limits of a roster.
const (
	MaxRosterMembers  = 20_000 // members of one institution
	maxRosterNameRune = 64
	maxRosterCSV      = 4 << 20 // bytes of an imported file
)

// RosterEntry is a member as the institution types or imports it.
type RosterEntry struct {
	Name  string
	Group string
	Role  healthcode.Role
}

func (e *RosterEntry) check() error {
	e.Name, e.Group = strings.Join(strings.Fields(e.Name), " "), strings.Join(strings.Fields(e.Group), " ")
	switch {
	case e.Name == "" || utf8.RuneCountInString(e.Name) > maxRosterNameRune || !validField(e.Name):
		return fmt.Errorf("name %q: 1 to %d characters", clip(e.Name, 80), maxRosterNameRune)
	case e.Group == "" || utf8.RuneCountInString(e.Group) > maxRosterNameRune || !validField(e.Group):
		return fmt.Errorf("group %q: 1 to %d characters", clip(e.Group, 80), maxRosterNameRune)
	case e.Role == healthcode.RoleNone:
		return fmt.Errorf("%s: no role (staff, student, child or elderly)", e.Name)
	}
	return nil
}

func (s *Server) newMember(institution string, e RosterEntry) RosterMember {
	id, _ := uuid.NewV7()
	return RosterMember{ID: id.String(), Institution: institution, Name: e.Name, Group: e.Group, Role: e.Role, Added: s.now().UTC()}
}

// AddRosterMembers puts people on an institution's roster (not yet linked:
// each is linked at the first scan in roster mode at one of its gates).
func (s *Server) AddRosterMembers(ctx context.Context, institution string, entries []RosterEntry) ([]RosterMember, error) {
	have, err := s.store.RosterMembers(ctx, institution)
	if err != nil {
		return nil, err
	}
	if len(have)+len(entries) > MaxRosterMembers {
		return nil, fmt.Errorf("a roster holds at most %d people; this one has %d", MaxRosterMembers, len(have))
	}
	ms := make([]RosterMember, 0, len(entries))
	for i := range entries {
		if err := entries[i].check(); err != nil {
			return nil, err
		}
		ms = append(ms, s.newMember(institution, entries[i]))
	}
	if err := s.store.PutRosterMembers(ctx, institution, ms); err != nil {
		return nil, err
	}
	s.log.Info("roster members added", "institution", institution, "count", len(ms))
	return ms, nil
}

// ParseRosterCSV reads a roster file: one person a line, name, group and
// role (staff, student, child, elderly, or 职工/学生/幼儿/老人), with or
// without a header line; a UTF-8 byte order mark (as spreadsheets write
// it) is skipped. An error names the line.
func ParseRosterCSV(r io.Reader) ([]RosterEntry, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxRosterCSV+1))
	if err != nil {
		return nil, fmt.Errorf("roster file: %w", err)
	}
	if len(data) > maxRosterCSV {
		return nil, fmt.Errorf("roster file: larger than %d MiB", maxRosterCSV>>20)
	}
	if !utf8.Valid(data) {
		return nil, errors.New("roster file: not UTF-8 text (save it from the spreadsheet as CSV UTF-8)")
	}
	text := strings.TrimPrefix(string(data), "\ufeff")
	cr := csv.NewReader(strings.NewReader(text))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	var out []RosterEntry
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("roster file: %w", err)
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if line == 1 && isRosterHeader(rec) {
			continue
		}
		if len(rec) != 3 {
			return nil, fmt.Errorf("roster file line %d: want name, group, role; got %d fields", line, len(rec))
		}
		role, err := healthcode.ParseRole(strings.TrimSpace(rec[2]))
		if err != nil {
			return nil, fmt.Errorf("roster file line %d: %w", line, err)
		}
		e := RosterEntry{Name: rec[0], Group: rec[1], Role: role}
		if err := e.check(); err != nil {
			return nil, fmt.Errorf("roster file line %d: %w", line, err)
		}
		out = append(out, e)
	}
	if len(out) == 0 {
		return nil, errors.New("roster file: no people in it (lines of name, group, role)")
	}
	return out, nil
}

func isRosterHeader(rec []string) bool {
	if len(rec) == 0 {
		return false
	}
	switch strings.ToLower(strings.TrimSpace(rec[0])) {
	case "name", "姓名", "名字":
		return true
	}
	return false
}

// RemoveRosterMembers takes people off an institution's roster.
func (s *Server) RemoveRosterMembers(ctx context.Context, institution string, ids []string) error {
	if err := s.store.DeleteRosterMembers(ctx, institution, ids); err != nil {
		return err
	}
	s.log.Info("roster members removed", "institution", institution, "count", len(ids))
	return nil
}

// ConfirmRosterMember settles a member the gate added unconfirmed (the
// scan matched no single entry): into is the entry (not yet linked) of
// the same institution that this person is; it takes the person key and
// the unconfirmed one goes. An empty into keeps the member as it is and
// confirms it.
func (s *Server) ConfirmRosterMember(ctx context.Context, institution, id, into string) error {
	ms, err := s.store.RosterMembers(ctx, institution)
	if err != nil {
		return err
	}
	var from, to *RosterMember
	for i := range ms {
		switch ms[i].ID {
		case id:
			from = &ms[i]
		case into:
			to = &ms[i]
		}
	}
	if from == nil || (into != "" && to == nil) {
		return ErrNotFound
	}
	if into == "" {
		from.Unconfirmed = false
		return s.store.PutRosterMembers(ctx, institution, []RosterMember{*from})
	}
	if to.IsLinked() {
		return fmt.Errorf("%s is already linked to a scanned code", to.Name)
	}
	to.Person, to.Masked, to.Linked, to.Unconfirmed = from.Person, from.Masked, from.Linked, false
	// The person key moves: remove the placeholder first, or the store
	// would see it on two members.
	if err := s.store.DeleteRosterMembers(ctx, institution, []string{from.ID}); err != nil {
		return err
	}
	if err := s.store.PutRosterMembers(ctx, institution, []RosterMember{*to}); err != nil {
		return fmt.Errorf("link %s: %w", to.Name, err)
	}
	s.log.Info("roster member confirmed", "institution", institution, "member", to.ID)
	return nil
}

// RosterGroups are an institution's groups with the role most of their
// members have and how many they are, by name.
func RosterGroups(ms []RosterMember) []GroupInfo {
	type tally struct {
		n     int
		roles map[healthcode.Role]int
	}
	by := map[string]*tally{}
	var names []string
	for i := range ms {
		t := by[ms[i].Group]
		if t == nil {
			t = &tally{roles: map[healthcode.Role]int{}}
			by[ms[i].Group] = t
			names = append(names, ms[i].Group)
		}
		t.n++
		t.roles[ms[i].Role]++
	}
	slices.Sort(names)
	out := make([]GroupInfo, 0, len(names))
	for _, n := range names {
		t := by[n]
		g := GroupInfo{Name: n, Members: t.n}
		for _, r := range healthcode.Roles {
			if t.roles[r] > t.roles[g.Role] {
				g.Role = r
			}
		}
		out = append(out, g)
	}
	return out
}

// GroupInfo is one group of a roster.
type GroupInfo struct {
	Name    string
	Role    healthcode.Role
	Members int
}
