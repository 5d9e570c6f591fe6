package server

import (
	"bytes"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"hcscan/healthcode"
	"hcscan/internal/pemkey"
)

// The province's subject key: the secret of person keys
// (healthcode.NewPersonKey). The issuer puts a person's key in each of
// their codes; institutions follow their own people by it (the roster).
// Without this key nobody can tell whose key it is from an ID number. A
// new key would give every person a new key and unlink every roster, so
// it is made once and never replaced.

const (
	subjectKeyFile = "subject.key"
	subjectPEMType = "HCSCAN SUBJECT KEY"
)

func newSubjectKey(dir string) ([]byte, error) {
	k := make([]byte, healthcode.SubjectKeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("subject key: %w", err)
	}
	if err := pemkey.WriteFileAtomic(filepath.Join(dir, subjectKeyFile), pem.EncodeToMemory(&pem.Block{Type: subjectPEMType, Bytes: k}), 0o600); err != nil {
		return nil, fmt.Errorf("subject key: %w", err)
	}
	return k, nil
}

// loadSubjectKey reads subject.key, or makes it in a key directory from
// before it existed (created is then true; the caller logs it).
func loadSubjectKey(dir string) (k []byte, created bool, err error) {
	path := filepath.Join(dir, subjectKeyFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		k, err := newSubjectKey(dir)
		return k, err == nil, err
	}
	if err != nil {
		return nil, false, fmt.Errorf("subject key: %w", err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != subjectPEMType || len(blk.Bytes) != healthcode.SubjectKeySize {
		return nil, false, fmt.Errorf("subject key %s: not a PEM %q block of %d bytes", path, subjectPEMType, healthcode.SubjectKeySize)
	}
	return blk.Bytes, false, nil
}

// PersonKey is the person key of an ID number under the province's
// subject key, as the issuer puts it in that person's codes.
func (k *Keys) PersonKey(idType, idNumber string) (healthcode.PersonKey, error) {
	return healthcode.NewPersonKey(k.Subject, idType, idNumber)
}

func sameSubject(a, b *Keys) bool { return bytes.Equal(a.Subject, b.Subject) }
