package boltstore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"

	"hcscan/healthcode"
	"hcscan/server"
)

// Roster buckets (in allBuckets):
//
//	roster          institution 0 member id → server.RosterMember
//	roster_person   person key institution → member id (a person is on a roster once)
//	roster_checks   institution 0 time device 0 record → server.RosterCheck
//	code_person     code hash → person key
//	person_status   person key → server.PersonStatus
//	roster_alerts   institution 0 alert id → server.RosterAlert
var (
	bRoster       = []byte("roster")
	bRosterPerson = []byte("roster_person")
	bRosterChecks = []byte("roster_checks")
	bCodePerson   = []byte("code_person")
	bPersonStatus = []byte("person_status")
	bRosterAlerts = []byte("roster_alerts")
)

func instKey(institution string, rest ...[]byte) []byte {
	k := append([]byte(institution), 0)
	for _, r := range rest {
		k = append(k, r...)
	}
	return k
}

func personKey(p healthcode.PersonKey, institution string) []byte {
	return append(append([]byte{}, p[:]...), institution...)
}

func (s *Store) PutRosterMembers(ctx context.Context, institution string, ms []server.RosterMember) error {
	err := s.update(ctx, func(tx *bolt.Tx) error {
		roster, byPerson := tx.Bucket(bRoster), tx.Bucket(bRosterPerson)
		for i := range ms {
			m := ms[i]
			m.Institution = institution
			k := instKey(institution, []byte(m.ID))
			if old := roster.Get(k); old != nil {
				var prev server.RosterMember
				if err := json.Unmarshal(old, &prev); err != nil {
					return err
				}
				if prev.IsLinked() && prev.Person != m.Person {
					if err := byPerson.Delete(personKey(prev.Person, institution)); err != nil {
						return err
					}
				}
			}
			if m.IsLinked() {
				pk := personKey(m.Person, institution)
				if owner := byPerson.Get(pk); owner != nil && string(owner) != m.ID {
					return server.ErrPersonTaken
				}
				if err := byPerson.Put(pk, []byte(m.ID)); err != nil {
					return err
				}
			}
			if err := putJSON(roster, k, m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("put roster members: %w", err)
	}
	return nil
}

func (s *Store) DeleteRosterMembers(ctx context.Context, institution string, ids []string) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		roster, byPerson := tx.Bucket(bRoster), tx.Bucket(bRosterPerson)
		for _, id := range ids {
			k := instKey(institution, []byte(id))
			v := roster.Get(k)
			if v == nil {
				return server.ErrNotFound
			}
			var m server.RosterMember
			if err := json.Unmarshal(v, &m); err != nil {
				return err
			}
			if m.IsLinked() {
				if err := byPerson.Delete(personKey(m.Person, institution)); err != nil {
					return err
				}
			}
			if err := roster.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Store) RosterMembers(ctx context.Context, institution string) ([]server.RosterMember, error) {
	prefix := instKey(institution)
	var out []server.RosterMember
	err := s.view(ctx, func(tx *bolt.Tx) error {
		c := tx.Bucket(bRoster).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var m server.RosterMember
			if err := json.Unmarshal(v, &m); err != nil {
				return err
			}
			out = append(out, m)
		}
		return nil
	})
	server.SortMembers(out)
	return out, err
}

func (s *Store) MembersByPerson(ctx context.Context, person healthcode.PersonKey) ([]server.RosterMember, error) {
	var out []server.RosterMember
	err := s.view(ctx, func(tx *bolt.Tx) error {
		roster := tx.Bucket(bRoster)
		c := tx.Bucket(bRosterPerson).Cursor()
		for k, id := c.Seek(person[:]); k != nil && bytes.HasPrefix(k, person[:]); k, id = c.Next() {
			v := roster.Get(instKey(string(k[len(person):]), id))
			if v == nil {
				continue
			}
			var m server.RosterMember
			if err := json.Unmarshal(v, &m); err != nil {
				return err
			}
			out = append(out, m)
		}
		return nil
	})
	return out, err
}

func (s *Store) NoteRosterChecks(ctx context.Context, checks []server.RosterCheck) error {
	err := s.update(ctx, func(tx *bolt.Tx) error {
		b, codes := tx.Bucket(bRosterChecks), tx.Bucket(bCodePerson)
		for _, c := range checks {
			// The key holds only what the record fixes, so a retry lands on the same key.
			k := instKey(c.Institution, timeKey(c.At), []byte(c.DeviceID), []byte{0}, []byte(c.RecordID))
			if err := putJSON(b, k, c); err != nil {
				return err
			}
			if !c.CodeHash.IsZero() {
				if err := codes.Put(c.CodeHash[:], c.Person[:]); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("note roster checks: %w", err)
	}
	return nil
}

func (s *Store) RosterChecks(ctx context.Context, institution string, from, to time.Time) ([]server.RosterCheck, error) {
	lo, hi := instKey(institution, timeKey(from)), instKey(institution, timeKey(to))
	var out []server.RosterCheck
	err := s.view(ctx, func(tx *bolt.Tx) error {
		c := tx.Bucket(bRosterChecks).Cursor()
		for k, v := c.Seek(lo); k != nil && bytes.Compare(k, hi) < 0; k, v = c.Next() {
			var rc server.RosterCheck
			if err := json.Unmarshal(v, &rc); err != nil {
				return err
			}
			out = append(out, rc)
		}
		return nil
	})
	return out, err
}

func (s *Store) CodePersons(ctx context.Context, hashes []healthcode.CodeHash) (map[healthcode.CodeHash]healthcode.PersonKey, error) {
	out := map[healthcode.CodeHash]healthcode.PersonKey{}
	err := s.view(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bCodePerson)
		for _, h := range hashes {
			if v := b.Get(h[:]); len(v) == len(healthcode.PersonKey{}) {
				out[h] = healthcode.PersonKey(v)
			}
		}
		return nil
	})
	return out, err
}

func (s *Store) SetPersonStatuses(ctx context.Context, ps []server.PersonStatus) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bPersonStatus)
		for _, p := range ps {
			if v := b.Get(p.Person[:]); v != nil {
				var old server.PersonStatus
				if err := json.Unmarshal(v, &old); err != nil {
					return err
				}
				if old.Updated.After(p.Updated) {
					continue
				}
			}
			if err := putJSON(b, p.Person[:], p); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Store) PersonStatuses(ctx context.Context, institution string) ([]server.PersonStatus, error) {
	prefix := instKey(institution)
	var out []server.PersonStatus
	err := s.view(ctx, func(tx *bolt.Tx) error {
		st := tx.Bucket(bPersonStatus)
		c := tx.Bucket(bRoster).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var m server.RosterMember
			if err := json.Unmarshal(v, &m); err != nil {
				return err
			}
			if !m.IsLinked() {
				continue
			}
			if sv := st.Get(m.Person[:]); sv != nil {
				var p server.PersonStatus
				if err := json.Unmarshal(sv, &p); err != nil {
					return err
				}
				out = append(out, p)
			}
		}
		return nil
	})
	return out, err
}

func (s *Store) AddRosterAlerts(ctx context.Context, as []server.RosterAlert) (int, error) {
	added := 0
	err := s.update(ctx, func(tx *bolt.Tx) error {
		added = 0
		b := tx.Bucket(bRosterAlerts)
		for _, a := range as {
			k := instKey(a.Institution, []byte(a.ID))
			if b.Get(k) != nil {
				continue
			}
			if err := putJSON(b, k, a); err != nil {
				return err
			}
			added++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("add roster alerts: %w", err)
	}
	return added, nil
}

func (s *Store) RosterAlerts(ctx context.Context, institution string, since time.Time) ([]server.RosterAlert, error) {
	prefix := instKey(institution)
	var out []server.RosterAlert
	err := s.view(ctx, func(tx *bolt.Tx) error {
		c := tx.Bucket(bRosterAlerts).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var a server.RosterAlert
			if err := json.Unmarshal(v, &a); err != nil {
				return err
			}
			if !a.Raised.Before(since) {
				out = append(out, a)
			}
		}
		return nil
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].Raised.After(out[j].Raised) })
	return out, err
}
