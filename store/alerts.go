package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"hcscan/healthcode"
)

// Alert tells the operator (and, through sync, the province) that a
// record passed provisionally and its code is now yellow or red: the
// person should be traced. It stays on the scanner's screen until an
// operator acknowledges it; the acknowledgement then goes to the province.
type Alert struct {
	RecordID string            `json:"record_id"`
	Seq      uint64            `json:"seq"`
	Colour   healthcode.Colour `json:"colour,omitempty"`
	Reason   string            `json:"reason"`
	Created  time.Time         `json:"created"`
	// Since is when the province set the code to Colour (the status
	// entry's time); Already says that was before the check.
	Since   time.Time `json:"since,omitzero"`
	Already bool      `json:"already,omitempty"`
	// Acked is when an operator acknowledged it on screen (trusted time),
	// AckedBy who. Seen is the same from files made before these.
	Acked   time.Time `json:"acked,omitzero"`
	AckedBy string    `json:"acked_by,omitempty"`
	Seen    bool      `json:"seen,omitempty"`
	// Reported: the province has the acknowledgement.
	Reported bool `json:"reported,omitempty"`
}

// Open reports whether no operator has acknowledged the alert yet.
func (a Alert) Open() bool { return a.Acked.IsZero() && !a.Seen }

// alertProvisional raises an alert for each provisional pass of the code
// that has none yet: its code is now e.Colour (yellow or red), whether it
// turned so before the check (the status data was stale) or after.
func (s *Store) alertProvisional(tx *bolt.Tx, e healthcode.StatusEntry) ([]Alert, error) {
	var keys [][]byte
	c := tx.Bucket(bProvisional).Cursor()
	for k, _ := c.Seek(e.Hash[:]); k != nil && bytes.HasPrefix(k, e.Hash[:]); k, _ = c.Next() {
		keys = append(keys, bytes.Clone(k[16:]))
	}
	var out []Alert
	for _, seqKey := range keys {
		if tx.Bucket(bAlerts).Get(seqKey) != nil {
			continue
		}
		r, err := recordBySeq(tx, seqKey)
		if err != nil {
			return nil, err
		}
		already := !e.Updated.After(r.When())
		since := e.Updated.In(s.opts.Location).Format("2006-01-02 15:04")
		reason := fmt.Sprintf("passed provisionally; the code turned %s at %s, after the check", e.Colour, since)
		if already {
			reason = fmt.Sprintf("passed provisionally; the code was already %s since %s", e.Colour, since)
		}
		a := Alert{RecordID: r.ID, Seq: r.Seq, Colour: e.Colour, Created: s.opts.Now(), Since: e.Updated, Already: already, Reason: reason}
		if err := putAlert(tx, a); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

func putAlert(tx *bolt.Tx, a Alert) error {
	v, err := json.Marshal(a)
	if err != nil {
		return err
	}
	return tx.Bucket(bAlerts).Put(u64(a.Seq), v)
}

// AddAlert raises an alert for a stored record (one per record; a second
// call replaces the reason).
func (s *Store) AddAlert(recordID, reason string) error {
	err := s.update(func(tx *bolt.Tx) error {
		k := tx.Bucket(bIDs).Get([]byte(recordID))
		if k == nil {
			return ErrNotFound
		}
		return putAlert(tx, Alert{RecordID: recordID, Seq: getU64(k), Reason: reason, Created: s.opts.Now()})
	})
	if err != nil {
		return fmt.Errorf("alert for record %s: %w", recordID, err)
	}
	return nil
}

// Alerts lists every alert, oldest record first.
func (s *Store) Alerts() ([]Alert, error) {
	var out []Alert
	err := s.eachAlert(func(_ []byte, a Alert) error { out = append(out, a); return nil })
	if err != nil {
		return nil, fmt.Errorf("alerts: %w", err)
	}
	return out, nil
}

func (s *Store) eachAlert(fn func(k []byte, a Alert) error) error {
	return s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bAlerts).ForEach(func(k, v []byte) error {
			var a Alert
			if err := json.Unmarshal(v, &a); err != nil {
				return err
			}
			return fn(k, a)
		})
	})
}

// OpenAlerts is how many alerts no operator has acknowledged yet (the
// status bar's count).
func (s *Store) OpenAlerts() (int, error) {
	n := 0
	err := s.eachAlert(func(_ []byte, a Alert) error {
		if a.Open() {
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("open alerts: %w", err)
	}
	return n, nil
}

// AckAlerts records that operator acknowledged the alerts of recordIDs at
// time at (an alert already acknowledged keeps its first acknowledgement).
// It returns how many it marked.
func (s *Store) AckAlerts(recordIDs []string, operator string, at time.Time) (int, error) {
	n := 0
	err := s.update(func(tx *bolt.Tx) error {
		n = 0
		for _, id := range recordIDs {
			k := tx.Bucket(bIDs).Get([]byte(id))
			if k == nil {
				return fmt.Errorf("record %s: %w", id, ErrNotFound)
			}
			a, ok, err := alertAt(tx, k)
			if err != nil {
				return err
			}
			if !ok || !a.Open() {
				continue
			}
			a.Acked, a.AckedBy = at, operator
			if err := putAlert(tx, a); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("acknowledge alerts: %w", err)
	}
	return n, nil
}

func alertAt(tx *bolt.Tx, seqKey []byte) (Alert, bool, error) {
	v := tx.Bucket(bAlerts).Get(seqKey)
	if v == nil {
		return Alert{}, false, nil
	}
	var a Alert
	if err := json.Unmarshal(v, &a); err != nil {
		return Alert{}, false, err
	}
	return a, true, nil
}

// AcksToReport lists the alerts acknowledged on screen that the province
// has not been told of yet (only those with an operator and a time: a
// file's older "seen" marks have neither).
func (s *Store) AcksToReport() ([]Alert, error) {
	var out []Alert
	err := s.eachAlert(func(_ []byte, a Alert) error {
		if !a.Acked.IsZero() && !a.Reported {
			out = append(out, a)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("acknowledgements to report: %w", err)
	}
	return out, nil
}

// MarkAlertsReported records that the province has the acknowledgements
// of the alerts of recordIDs.
func (s *Store) MarkAlertsReported(recordIDs []string) error {
	err := s.update(func(tx *bolt.Tx) error {
		for _, id := range recordIDs {
			k := tx.Bucket(bIDs).Get([]byte(id))
			if k == nil {
				continue // purged since
			}
			a, ok, err := alertAt(tx, k)
			if err != nil || !ok {
				return err
			}
			a.Reported = true
			if err := putAlert(tx, a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("mark acknowledgements reported: %w", err)
	}
	return nil
}

// MarkAlert sets Seen and/or Reported on the alert of recordID.
func (s *Store) MarkAlert(recordID string, seen, reported bool) error {
	err := s.update(func(tx *bolt.Tx) error {
		k := tx.Bucket(bIDs).Get([]byte(recordID))
		if k == nil {
			return ErrNotFound
		}
		a, ok, err := alertAt(tx, k)
		if err != nil {
			return err
		}
		if !ok {
			return ErrNotFound
		}
		a.Seen = a.Seen || seen
		a.Reported = a.Reported || reported
		return putAlert(tx, a)
	})
	if err != nil {
		return fmt.Errorf("mark alert of record %s: %w", recordID, err)
	}
	return nil
}
