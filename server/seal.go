package server

import (
	"crypto/ecdh"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"hcscan/internal/pemkey"
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
	if err := pemkey.WriteFileAtomic(filepath.Join(dir, sealKeyFile), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return nil, fmt.Errorf("seal key: %w", err)
	}
	return k, writeSealPub(dir, k.PublicKey())
}

func writeSealPub(dir string, pub *ecdh.PublicKey) error {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return fmt.Errorf("seal key: %w", err)
	}
	return pemkey.WriteFileAtomic(filepath.Join(dir, sealPubFile), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o644)
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
