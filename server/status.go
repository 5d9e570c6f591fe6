package server

import (
	"context"
	"time"

	"hcscan/healthcode"
)

// StatusChange is one code's new colour, as the provincial database sends it.
type StatusChange struct {
	Hash   healthcode.CodeHash `json:"hash"`
	Colour healthcode.Colour   `json:"colour"`
	// Person optionally names whose code it is (the provincial database
	// knows); without it the server joins by the person keys it has seen
	// the code carry.
	Person healthcode.PersonKey `json:"person,omitzero"`
}

// StatusStore keeps the codes' colours and their history for deltas.
type StatusStore interface {
	// SetStatus records colour changes and flags the provisional passes of
	// codes that turned to a colour that stops (healthcode.StatusTransition:
	// a change to the current colour is skipped). It returns the new status
	// sequence and the alerts raised.
	SetStatus(ctx context.Context, changes []StatusChange, now time.Time) (seq uint64, alerts int, err error)
	// Status is the latest entry of one code.
	Status(ctx context.Context, h healthcode.CodeHash) (healthcode.StatusEntry, bool, error)
	// StatusSince is the delta after since, or the snapshot for since=0,
	// in the order of the entries' sequences; ErrStatusGone when since is
	// older than the history kept or unknown. With limit > 0 it may stop
	// after limit entries: More is then set and Seq is the last entry's.
	StatusSince(ctx context.Context, since uint64, limit int, now time.Time) (*healthcode.StatusList, error)
}

// SetStatus changes codes' colours, as the provincial database would,
// flags provisional passes of codes that turned red or yellow, and alerts
// the institutions whose roster members' codes turned (joinRosterStatus).
// When the roster join fails the colours are set and the error says so:
// setting the same changes again finishes it.
func (s *Server) SetStatus(ctx context.Context, changes []StatusChange) (seq uint64, alerts int, err error) {
	seq, alerts, err = s.store.SetStatus(ctx, changes, s.now())
	if err != nil {
		return seq, alerts, err
	}
	s.log.Info("status set", "changes", len(changes), "seq", seq, "alerts", alerts)
	return seq, alerts, s.joinRosterStatus(ctx, changes)
}
