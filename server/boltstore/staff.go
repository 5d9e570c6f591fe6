package boltstore

import (
	"context"
	"encoding/json"
	"sort"

	bolt "go.etcd.io/bbolt"

	"hcscan/server"
)

func staffKey(institution, id string) []byte {
	return append(append([]byte(institution), 0), id...)
}

func (s *Store) AddStaff(ctx context.Context, m server.StaffMember) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bStaff)
		prefix := append([]byte(m.Institution), 0)
		c := b.Cursor()
		for k, v := c.Seek(prefix); k != nil && len(k) > len(prefix) && string(k[:len(prefix)]) == string(prefix); k, v = c.Next() {
			var o server.StaffMember
			if err := json.Unmarshal(v, &o); err != nil {
				return err
			}
			if o.Name == m.Name {
				return server.ErrStaffExists
			}
		}
		return putJSON(b, staffKey(m.Institution, m.ID), m)
	})
}

func (s *Store) Staff(ctx context.Context, institution string) ([]server.StaffMember, error) {
	var out []server.StaffMember
	err := s.view(ctx, func(tx *bolt.Tx) error {
		prefix := append([]byte(institution), 0)
		c := tx.Bucket(bStaff).Cursor()
		for k, v := c.Seek(prefix); k != nil && len(k) > len(prefix) && string(k[:len(prefix)]) == string(prefix); k, v = c.Next() {
			var m server.StaffMember
			if err := json.Unmarshal(v, &m); err != nil {
				return err
			}
			out = append(out, m)
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, err
}

func (s *Store) UpdateStaff(ctx context.Context, institution, id string, fn func(*server.StaffMember) error) (server.StaffMember, error) {
	var m server.StaffMember
	err := s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bStaff)
		k := staffKey(institution, id)
		v := b.Get(k)
		if v == nil {
			return server.ErrNotFound
		}
		if err := json.Unmarshal(v, &m); err != nil {
			return err
		}
		if err := fn(&m); err != nil {
			return err
		}
		return putJSON(b, k, m)
	})
	return m, err
}
