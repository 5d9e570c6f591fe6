package server

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"hcscan/healthcode"
)

// Errors of OpenIdentity.
var (
	ErrNotSealed = errors.New("this record has no sealed identity")
	ErrNoReason  = errors.New("give a reason (the case or tracing task) for opening an identity")
	ErrNotTracer = errors.New("only a tracing login may open sealed identities")
)

const maxReasonLen = 200

// OpenIdentity opens the sealed identity of one manual-entry record of an
// institution for actor, with the reason they gave. The opening is written
// to the audit list before the identity is returned; when that fails,
// nothing is returned.
func (s *Server) OpenIdentity(ctx context.Context, institution, actor, deviceID, recordID, reason string) (healthcode.SealedIdentity, StoredRecord, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || len(reason) > maxReasonLen || strings.ContainsRune(reason, 0) {
		return healthcode.SealedIdentity{}, StoredRecord{}, ErrNoReason
	}
	rec, err := s.store.Record(ctx, deviceID, recordID)
	if err != nil {
		return healthcode.SealedIdentity{}, rec, err
	}
	if rec.DeviceInstitution != institution {
		return healthcode.SealedIdentity{}, StoredRecord{}, ErrNotFound
	}
	if len(rec.Sealed) == 0 {
		return healthcode.SealedIdentity{}, rec, ErrNotSealed
	}
	var id healthcode.SealedIdentity
	s.trustMu.RLock()
	keys := s.keys.sealKeys()
	s.trustMu.RUnlock()
	for _, k := range keys { // the current key, then the retired ones
		var priv, pub [32]byte
		copy(priv[:], k.Bytes())
		copy(pub[:], k.PublicKey().Bytes())
		id, err = healthcode.OpenIdentity(rec.Sealed, &pub, &priv)
		clear(priv[:])
		if err == nil {
			break
		}
	}
	if err != nil {
		s.log.Warn("sealed identity does not open", "device", deviceID, "record", recordID, "err", err)
		return healthcode.SealedIdentity{}, rec, err
	}
	a := AuditEntry{Time: s.now().UTC(), Institution: institution, Actor: actor, DeviceID: deviceID, RecordID: recordID, Reason: reason}
	if err := s.store.AddAudit(ctx, a); err != nil {
		return healthcode.SealedIdentity{}, rec, fmt.Errorf("audit: %w", err)
	}
	s.log.Info("sealed identity opened", "institution", institution, "actor", actor, "device", deviceID, "record", recordID, "reason", reason)
	return id, rec, nil
}

// OpenRoster writes to the audit list that actor (the province's tracing
// staff) opened what of an institution's roster (the roster, a day's
// view, a member's contacts) with the reason they gave. The caller shows
// nothing when it fails.
func (s *Server) OpenRoster(ctx context.Context, institution, actor, what, reason string) error {
	reason = strings.TrimSpace(reason)
	if reason == "" || len(reason) > maxReasonLen || strings.ContainsRune(reason, 0) {
		return ErrNoReason
	}
	a := AuditEntry{Time: s.now().UTC(), Institution: institution, Actor: actor, Reason: reason, What: what}
	if err := s.store.AddAudit(ctx, a); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	s.log.Info("roster opened by tracing staff", "institution", institution, "actor", actor, "what", what, "reason", reason)
	return nil
}
