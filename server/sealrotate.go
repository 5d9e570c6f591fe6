package server

import (
	"crypto/ecdh"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"hcscan/internal/pemkey"
)

// Rotating the sealing key: `hcserver keys rotate-seal` keeps the current
// seal.key as seal-retired-TIME.key and makes a new one. Scanners seal new
// manual entries to the new key once they have it (the trust list, signed
// by the root, names it; an enrolment reply too); the identities sealed
// before stay openable with the retired keys, which the server keeps
// trying after the current one. Delete a retired key only when no record
// sealed to it is kept any more.

const retiredSealGlob = "seal-retired-*.key"

// RotateSealKey retires the sealing key of dir and makes a new one; it
// returns the file the old key was kept in.
func RotateSealKey(dir string, now time.Time) (string, error) {
	old, _, err := loadSealKey(dir)
	if err != nil {
		return "", err
	}
	der, err := x509.MarshalPKCS8PrivateKey(old)
	if err != nil {
		return "", fmt.Errorf("rotate seal key: %w", err)
	}
	kept := filepath.Join(dir, "seal-retired-"+now.UTC().Format("20060102T150405")+".key")
	if _, err := os.Stat(kept); err == nil {
		return "", fmt.Errorf("rotate seal key: %s exists already; wait a second", kept)
	}
	if err := pemkey.WriteFileAtomic(kept, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return "", fmt.Errorf("rotate seal key: keep the old key: %w", err)
	}
	if _, err := newSealKey(dir); err != nil {
		return "", fmt.Errorf("rotate seal key: %w (the old key is kept in %s)", err, kept)
	}
	return kept, nil
}

// loadRetiredSeals reads the retired sealing keys of dir, newest first.
func loadRetiredSeals(dir string) ([]*ecdh.PrivateKey, error) {
	names, _ := filepath.Glob(filepath.Join(dir, retiredSealGlob))
	sort.Sort(sort.Reverse(sort.StringSlice(names)))
	var out []*ecdh.PrivateKey
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			return nil, fmt.Errorf("retired seal key: %w", err)
		}
		blk, _ := pem.Decode(b)
		if blk == nil || blk.Type != "PRIVATE KEY" {
			return nil, fmt.Errorf("retired seal key %s: not a PEM private key", n)
		}
		pk, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
		k, ok := pk.(*ecdh.PrivateKey)
		if err != nil || !ok || k.Curve() != ecdh.X25519() {
			return nil, fmt.Errorf("retired seal key %s: not an X25519 key", n)
		}
		out = append(out, k)
	}
	return out, nil
}

// sealKeys are the keys a sealed identity may open with: the current one
// first, then the retired ones, newest first.
func (k *Keys) sealKeys() []*ecdh.PrivateKey {
	return append([]*ecdh.PrivateKey{k.Seal}, k.RetiredSeals...)
}

// retired reports whether key is among k's retired sealing keys.
func (k *Keys) retired(key *ecdh.PrivateKey) bool {
	for _, r := range k.RetiredSeals {
		if r.Equal(key) {
			return true
		}
	}
	return false
}
