package boltstore

import (
	"context"
	"encoding/json"
	"time"

	bolt "go.etcd.io/bbolt"

	"hcscan/server"
)

func (s *Store) AddInstitution(ctx context.Context, in server.Institution) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bInstitutions)
		if b.Get([]byte(in.Name)) != nil {
			return server.ErrInstitutionExists
		}
		return putJSON(b, []byte(in.Name), in)
	})
}

func (s *Store) Institution(ctx context.Context, name string) (server.Institution, error) {
	var in server.Institution
	err := s.view(ctx, func(tx *bolt.Tx) error {
		v := tx.Bucket(bInstitutions).Get([]byte(name))
		if v == nil {
			return server.ErrNotFound
		}
		return json.Unmarshal(v, &in)
	})
	return in, err
}

func (s *Store) Institutions(ctx context.Context, state string) ([]server.Institution, error) {
	var out []server.Institution
	err := s.view(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bInstitutions).ForEach(func(_, v []byte) error {
			var in server.Institution
			if err := json.Unmarshal(v, &in); err != nil {
				return err
			}
			if state == "" || in.State == state {
				out = append(out, in)
			}
			return nil
		})
	})
	sortBy(out, func(a, b server.Institution) bool {
		return a.Applied.Before(b.Applied) || a.Applied.Equal(b.Applied) && a.Name < b.Name
	})
	return out, err
}

func (s *Store) DecideInstitution(ctx context.Context, name, state, by, note string, now time.Time) (server.Institution, error) {
	var in server.Institution
	err := s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bInstitutions)
		v := b.Get([]byte(name))
		if v == nil {
			return server.ErrNotFound
		}
		if err := json.Unmarshal(v, &in); err != nil {
			return err
		}
		if in.State != server.InstitutionPending {
			return server.ErrInstitutionDecided
		}
		in.State, in.Decided, in.DecidedBy, in.Note = state, now, by, note
		return putJSON(b, []byte(name), in)
	})
	return in, err
}
