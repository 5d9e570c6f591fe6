package screenwire

import (
	"bytes"
	"crypto/ed25519"
	"log/slog"
	gosync "sync"

	"hcscan/healthcode"
	"hcscan/protocol"
	"hcscan/store"
	"hcscan/tui"
)

// RosterBook is the institution's roster as the screen uses it: who of the
// people showing a code is one of its own (group and role), the groups
// roster mode enrols into, and the alerts about its people. It reads the
// signed roster the sync client keeps in the data file, and verifies and
// parses it again only when it changed.
type RosterBook struct {
	st          *store.Store
	institution string
	key         func() ed25519.PublicKey // the province key the roster is signed with
	log         *slog.Logger

	mu      gosync.Mutex
	raw     []byte
	roster  *protocol.Roster
	members map[healthcode.PersonKey]protocol.RosterEntry
}

var _ tui.Roster = (*RosterBook)(nil)

// NewRosterBook reads the roster of institution from st, checked with the
// key key gives (the status key the trust list vouches for, else the one
// from enrolment).
func NewRosterBook(st *store.Store, institution string, key func() ed25519.PublicKey, log *slog.Logger) *RosterBook {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &RosterBook{st: st, institution: institution, key: key, log: log}
}

// current is the roster held (nil when none, or when it does not verify).
func (b *RosterBook) current() (*protocol.Roster, map[healthcode.PersonKey]protocol.RosterEntry) {
	raw, _, _, err := b.st.Roster()
	if err != nil {
		b.log.Error("read the roster", "err", err)
		return nil, nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if raw == nil {
		b.raw, b.roster, b.members = nil, nil, nil
		return nil, nil
	}
	if b.roster != nil && bytes.Equal(raw, b.raw) {
		return b.roster, b.members
	}
	ro, err := protocol.ParseRoster(raw, b.key(), b.institution)
	if err != nil {
		b.log.Error("the roster in the data file does not verify; it is not used", "err", err)
		return nil, nil
	}
	members := make(map[healthcode.PersonKey]protocol.RosterEntry, len(ro.Members))
	for _, m := range ro.Members {
		members[m.Person] = m
	}
	b.raw, b.roster, b.members = raw, ro, members
	return ro, members
}

// Look says whether the person key is one of the institution's people;
// known is false when the scanner holds no roster.
func (b *RosterBook) Look(p healthcode.PersonKey) (m *tui.RosterMember, known bool) {
	ro, members := b.current()
	if ro == nil {
		return nil, false
	}
	if p.IsZero() {
		return nil, true
	}
	e, ok := members[p]
	if !ok {
		return nil, true
	}
	return &tui.RosterMember{Group: e.Group, Role: e.Role}, true
}

// Groups lists the groups roster mode offers.
func (b *RosterBook) Groups() ([]tui.RosterGroup, error) {
	ro, _ := b.current()
	if ro == nil {
		return nil, nil
	}
	out := make([]tui.RosterGroup, 0, len(ro.Groups))
	for _, g := range ro.Groups {
		out = append(out, tui.RosterGroup{Name: g.Name, Role: g.Role, Members: g.Members})
	}
	return out, nil
}

// Alerts are the alerts about the institution's people in the roster held
// (the last two days'): group and masked name, newest first.
func (b *RosterBook) Alerts() []tui.Alert {
	ro, _ := b.current()
	if ro == nil {
		return nil
	}
	out := make([]tui.Alert, 0, len(ro.Alerts))
	for _, a := range ro.Alerts {
		al := tui.Alert{Time: a.At, Name: a.Name, Group: a.Group}
		switch a.Kind {
		case protocol.AlertRed:
			al.Colour = healthcode.Red
		case protocol.AlertYellow:
			al.Colour = healthcode.Yellow
		case protocol.AlertFever:
			al.Fever = a.Temperature
			if al.Fever == 0 {
				continue
			}
		default:
			continue
		}
		out = append(out, al)
	}
	return out
}
