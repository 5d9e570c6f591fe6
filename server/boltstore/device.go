package boltstore

import (
	"context"
	"encoding/json"
	"sort"

	bolt "go.etcd.io/bbolt"

	"hcscan/server"
)

func (s *Store) Device(ctx context.Context, id string) (server.Device, error) {
	var d server.Device
	err := s.view(ctx, func(tx *bolt.Tx) error {
		v := tx.Bucket(bDevices).Get([]byte(id))
		if v == nil {
			return server.ErrNotFound
		}
		return json.Unmarshal(v, &d)
	})
	return d, err
}

func (s *Store) Devices(ctx context.Context, institution string) ([]server.Device, error) {
	var out []server.Device
	err := s.view(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bDevices).ForEach(func(_, v []byte) error {
			var d server.Device
			if err := json.Unmarshal(v, &d); err != nil {
				return err
			}
			if d.Institution == institution {
				out = append(out, d)
			}
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Enrolled.Before(out[j].Enrolled) })
	return out, err
}

func (s *Store) SetDeviceDisabled(ctx context.Context, institution, id string, disabled bool) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bDevices)
		v := b.Get([]byte(id))
		if v == nil {
			return server.ErrNotFound
		}
		var d server.Device
		if err := json.Unmarshal(v, &d); err != nil {
			return err
		}
		if d.Institution != institution {
			return server.ErrNotFound
		}
		d.Disabled = disabled
		return putJSON(b, []byte(id), d)
	})
}
