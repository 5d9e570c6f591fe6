package server

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"hcscan/healthcode"
)

// The province's sealing key: a scanner seals the name, ID number and
// phone typed for a manual entry (someone without a phone) to its public
// half at once (healthcode.SealIdentity, NaCl anonymous box), so the laptop
// keeps only the masked form. Only this server holds the private half; a
// tracing login opens one record's identity at a time, and every opening
// is written to the audit list first.

const (
	sealKeyFile = "seal.key"
	sealPubFile = "seal.pub"
)

func newSealKey(dir string) (*ecdh.PrivateKey, error) {
	k, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("seal key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("seal key: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(dir, sealKeyFile), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return nil, fmt.Errorf("seal key: %w", err)
	}
	return k, writeSealPub(dir, k.PublicKey())
}

func writeSealPub(dir string, pub *ecdh.PublicKey) error {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return fmt.Errorf("seal key: %w", err)
	}
	return writeFileAtomic(filepath.Join(dir, sealPubFile), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o644)
}

// loadSealKey reads seal.key, or makes it in a key directory from before
// it existed (created is then true; the caller logs it).
func loadSealKey(dir string) (k *ecdh.PrivateKey, created bool, err error) {
	path := filepath.Join(dir, sealKeyFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		k, err := newSealKey(dir)
		return k, err == nil, err
	}
	if err != nil {
		return nil, false, fmt.Errorf("seal key: %w", err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, false, fmt.Errorf("seal key %s: not a PEM private key", path)
	}
	pk, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, false, fmt.Errorf("seal key %s: %w", path, err)
	}
	k, ok := pk.(*ecdh.PrivateKey)
	if !ok || k.Curve() != ecdh.X25519() {
		return nil, false, fmt.Errorf("seal key %s: not an X25519 key", path)
	}
	if _, err := os.Stat(filepath.Join(dir, sealPubFile)); errors.Is(err, fs.ErrNotExist) {
		if err := writeSealPub(dir, k.PublicKey()); err != nil {
			return nil, false, err
		}
	}
	return k, false, nil
}

// SealPublic is the public sealing key scanners get at enrolment (32 bytes).
func (k *Keys) SealPublic() []byte { return k.Seal.PublicKey().Bytes() }

// AuditEntry is one opening of a sealed identity.
type AuditEntry struct {
	Time        time.Time `json:"time"`
	Institution string    `json:"institution"`
	Actor       string    `json:"actor"` // the login that opened it, e.g. "tracing ABCD"
	DeviceID    string    `json:"device_id"`
	RecordID    string    `json:"record_id"`
	Reason      string    `json:"reason"`
}

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
	var priv, pub [32]byte
	copy(priv[:], s.keys.Seal.Bytes())
	copy(pub[:], s.keys.SealPublic())
	id, err := healthcode.OpenIdentity(rec.Sealed, &pub, &priv)
	clear(priv[:])
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
