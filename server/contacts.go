package server

import (
	"context"
	"time"
)

// CloseContacts lists who passed the same gate within window either side of
// one check of the institution (the check itself excluded).
func (s *Server) CloseContacts(ctx context.Context, institution, deviceID, recordID string, window time.Duration) (StoredRecord, []StoredRecord, error) {
	rec, err := s.store.Record(ctx, deviceID, recordID)
	if err != nil {
		return rec, nil, err
	}
	if rec.DeviceInstitution != institution {
		return rec, nil, ErrNotFound // another institution's record is not there for this one
	}
	at := When(&rec.Record)
	all, err := s.store.GateWindow(ctx, institution, rec.Gate, at.Add(-window), at.Add(window))
	if err != nil {
		return rec, nil, err
	}
	out := all[:0]
	for _, o := range all {
		if o.DeviceID == rec.DeviceID && o.ID == rec.ID {
			continue
		}
		out = append(out, o)
	}
	return rec, out, nil
}
