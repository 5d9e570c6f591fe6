package boltstore

import (
	"bytes"
	"context"
	"encoding/json"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"

	"hcscan/healthcode"
	"hcscan/protocol"
	"hcscan/server"
)

func putAlert(b *bolt.Bucket, institution string, key []byte, r *healthcode.Record, c healthcode.Colour, now time.Time) error {
	a := server.Alert{DeviceID: r.DeviceID, RecordID: r.ID, Gate: r.Gate, Time: server.When(r), CodeHash: r.CodeHash, Colour: c, Raised: now, Name: r.Name}
	ak := append(append([]byte(institution), 0), key...)
	if old := b.Get(ak); old != nil {
		var prev server.Alert
		if json.Unmarshal(old, &prev) == nil {
			a.Raised, a.Acked, a.AckedBy = prev.Raised, prev.Acked, prev.AckedBy
		}
	}
	return putJSON(b, ak, a)
}

func (s *Store) AckAlerts(ctx context.Context, dev server.Device, acks []protocol.AlertAck, now time.Time) ([]protocol.AlertAckResult, error) {
	out := make([]protocol.AlertAckResult, len(acks))
	err := s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bAlerts)
		for i, ack := range acks {
			out[i] = protocol.AlertAckResult{RecordID: ack.RecordID, Status: protocol.AckUnknown}
			ak := append(append([]byte(dev.Institution), 0), recordKey(dev.ID, ack.RecordID)...)
			v := b.Get(ak)
			if v == nil {
				continue
			}
			var a server.Alert
			if err := json.Unmarshal(v, &a); err != nil {
				return err
			}
			out[i].Status = protocol.AckKept
			if !a.Acked.IsZero() {
				continue
			}
			a.Acked, a.AckedBy = ack.At.UTC(), ack.Operator
			if err := putJSON(b, ak, a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
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
