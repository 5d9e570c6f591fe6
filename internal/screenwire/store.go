package screenwire

import (
	"context"
	"errors"
	"time"

	"hcscan/healthcode"
	"hcscan/store"
	"hcscan/tui"
)

// Store is the data file as the screen sees it (tui.RecordStore).
type Store struct {
	st          *store.Store
	trustIssued time.Time // of a trust list given with --trust (not in the cache)
	saved       func()    // told after each record is durable (nil: nobody)
}

var _ tui.RecordStore = Store{}

// NewStore adapts st. fixed is a trust list given with --trust instead of
// the cached one (nil when the cache is used): the status bar shows its
// age from when it was issued, since it has no fetch time.
func NewStore(st *store.Store, fixed *healthcode.TrustList) Store {
	s := Store{st: st}
	if fixed != nil {
		s.trustIssued = fixed.Issued
	}
	return s
}

// OnAppend returns the store that calls saved after each record it made
// durable: the sync client's RecordSaved, so that the record goes up at once.
func (s Store) OnAppend(saved func()) Store {
	s.saved = saved
	return s
}

// Append makes the record durable (fsynced) before it returns nil.
func (s Store) Append(ctx context.Context, rec *healthcode.Record) error {
	if err := s.st.Append(ctx, rec); err != nil {
		return err
	}
	if s.saved != nil {
		s.saved()
	}
	return nil
}

// Stats are the status bar's counts: records waiting, the local day's
// verdicts, and the ages of the trust and status lists.
func (s Store) Stats(now time.Time) (tui.Stats, error) {
	p, err := s.st.Pending()
	if err != nil {
		return tui.Stats{}, err
	}
	d, err := s.st.Day(now)
	if err != nil {
		return tui.Stats{}, err
	}
	_, _, tf, err := s.st.TrustList()
	if err != nil {
		return tui.Stats{}, err
	}
	if tf.IsZero() {
		tf = s.trustIssued
	}
	sf, err := s.st.StatusFetched()
	if err != nil {
		return tui.Stats{}, err
	}
	open, err := s.st.OpenAlerts()
	return tui.Stats{Pending: p, Passed: d.Passed, Stopped: d.Stopped, Fever: d.Fever, Invalid: d.Invalid,
		Alerts: open, TrustFetched: tf, StatusFetched: sf}, err
}

// Today lists the records of the local day holding now (the day the
// status bar counts, by the time of each check), newest first.
func (s Store) Today(now time.Time, limit int) ([]tui.Row, error) {
	es, err := s.st.Recent(limit, s.st.DayFilter(now))
	rows := make([]tui.Row, 0, len(es))
	for _, e := range es {
		rows = append(rows, tui.Row{Record: e.Record, Uploaded: e.State == store.StateUploaded, Refused: e.State == store.StateRejected})
	}
	return rows, err
}

// CheckPIN returns tui.ErrWrongPIN for a wrong operator or PIN (a
// *tui.WrongPINError with the tries left for a known operator), a
// *tui.PINLockedError while the operator is locked out, tui.ErrChoosePIN
// at a staff member's first sign-in with the right code,
// tui.ErrOperatorDisabled for a person the institution disabled.
func (s Store) CheckPIN(op, pin string) error {
	ok, err := s.st.CheckPIN(op, pin)
	var locked *store.LockedError
	switch {
	case errors.Is(err, store.ErrChoosePIN):
		return tui.ErrChoosePIN
	case errors.Is(err, store.ErrStaffDisabled):
		return tui.ErrOperatorDisabled
	case errors.As(err, &locked):
		return &tui.PINLockedError{Until: locked.Until}
	case err != nil:
		return err
	case ok:
		return nil
	}
	left, err := s.st.PINTriesLeft(op)
	switch {
	case errors.As(err, &locked):
		return &tui.PINLockedError{Until: locked.Until}
	case err != nil:
		return tui.ErrWrongPIN
	}
	return &tui.WrongPINError{Left: left}
}

// OnDuty says whether op may still check: tui.ErrOperatorDisabled when the
// province's staff list (from the last sync) disables them.
func (s Store) OnDuty(op string) error {
	if errors.Is(s.st.StaffAllowed(op), store.ErrStaffDisabled) {
		return tui.ErrOperatorDisabled
	}
	return nil
}

// SetFirstPIN keeps the PIN a staff member chose at their first sign-in
// (as a verifier; the next sync sends it to the province).
func (s Store) SetFirstPIN(op, code, pin string) error { return s.st.SetFirstPIN(op, code, pin) }

// Rejected lists up to limit records the province refused, oldest first.
func (s Store) Rejected(limit int) ([]tui.Rejected, error) {
	ds, err := s.st.DeadLetters()
	out := make([]tui.Rejected, 0, min(len(ds), max(limit, 0)))
	for _, d := range ds {
		if len(out) == limit {
			break
		}
		out = append(out, tui.Rejected{RecordID: d.ID, Time: d.At, Reason: d.Reason})
	}
	return out, err
}

// Alerts lists provisional passes later found yellow or red, with the
// masked name and time of the check (the alert's own time when the record
// has been purged).
func (s Store) Alerts() ([]tui.Alert, error) {
	as, err := s.st.Alerts()
	out := make([]tui.Alert, 0, len(as))
	for _, a := range as {
		al := tui.Alert{RecordID: a.RecordID, Time: a.Created, Colour: a.Colour, Already: a.Already, Reason: a.Reason, Acked: !a.Open()}
		if e, err := s.st.ByID(a.RecordID); err == nil {
			al.Time, al.Gate, al.Name = e.Record.When(), e.Record.Gate, e.Record.Name
		}
		out = append(out, al)
	}
	return out, err
}

// AckAlerts records the operator's acknowledgement; the sync client
// reports it to the province.
func (s Store) AckAlerts(recordIDs []string, operator string, at time.Time) error {
	_, err := s.st.AckAlerts(recordIDs, operator, at)
	return err
}
