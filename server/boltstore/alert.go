package boltstore

import (
	"bytes"
	"context"
	"encoding/json"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"

	"hcscan/healthcode"
	"hcscan/server"
)

func putAlert(b *bolt.Bucket, institution string, key []byte, r *healthcode.Record, c healthcode.Colour, now time.Time) error {
	a := server.Alert{DeviceID: r.DeviceID, RecordID: r.ID, Gate: r.Gate, Time: server.When(r), CodeHash: r.CodeHash, Colour: c, Raised: now, Name: r.Name}
	ak := append(append([]byte(institution), 0), key...)
	if old := b.Get(ak); old != nil {
		var prev server.Alert
		if json.Unmarshal(old, &prev) == nil {
			a.Raised = prev.Raised
		}
	}
	return putJSON(b, ak, a)
}

func (s *Store) Alerts(ctx context.Context, institution string) ([]server.Alert, error) {
	prefix := append([]byte(institution), 0)
	var out []server.Alert
	err := s.view(ctx, func(tx *bolt.Tx) error {
		c := tx.Bucket(bAlerts).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var a server.Alert
			if err := json.Unmarshal(v, &a); err != nil {
				return err
			}
			out = append(out, a)
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Raised.After(out[j].Raised) })
	return out, err
}
