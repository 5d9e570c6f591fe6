package server

import (
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"hcscan/healthcode"
	"hcscan/internal/pemkey"
)

// Keys is the province's key directory:
//
//	root.key, root.pub         the trust root scanners pin (signs the trust list)
//	server.key, server.pub     the online key: status lists, enrolment replies
//	issuer-REGION.key/.pub     one issuer per region (GB/T 2260 code)
//	seal.key, seal.pub         X25519: manual entries' identities are sealed to it
//	subject.key                the secret of person keys (HMAC-SHA256, 32 bytes)
//	trust.json                 the signed trust list (hcserver trust-list)
//
// Private keys are PKCS#8 PEM files with mode 0600.
type Keys struct {
	Dir     string
	Root    ed25519.PrivateKey
	Server  ed25519.PrivateKey
	Issuers map[healthcode.Region]ed25519.PrivateKey
	// Seal opens the identities typed for manual entries (NaCl anonymous
	// box); scanners get its public key at enrolment.
	Seal *ecdh.PrivateKey
	// SealCreated is set when LoadKeys had to make seal.key (a key
	// directory from before it existed).
	SealCreated bool
	// RetiredSeals are the sealing keys rotated out (seal-retired-*.key),
	// newest first: identities sealed before a rotation open with them.
	RetiredSeals []*ecdh.PrivateKey
	// Subject is the secret of person keys (see PersonKey).
	Subject []byte
	// SubjectCreated is set when LoadKeys had to make subject.key.
	SubjectCreated bool
}

// DefaultRegions are the issuers a new key directory gets: several
// provinces, so that "one code pass" across regions can be shown.
var DefaultRegions = []healthcode.Region{110000, 310000, 440000, 510000}

// InitKeys makes a new key directory. It refuses to overwrite existing keys.
func InitKeys(dir string, regions []healthcode.Region) (*Keys, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("keys dir %s: %w", dir, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "root.key")); err == nil {
		return nil, fmt.Errorf("keys dir %s already has keys (root.key); refusing to overwrite", dir)
	}
	k := &Keys{Dir: dir, Issuers: map[healthcode.Region]ed25519.PrivateKey{}}
	var err error
	if k.Root, err = newKey(dir, "root"); err != nil {
		return nil, err
	}
	if k.Server, err = newKey(dir, "server"); err != nil {
		return nil, err
	}
	if k.Seal, err = newSealKey(dir); err != nil {
		return nil, err
	}
	if k.Subject, err = newSubjectKey(dir); err != nil {
		return nil, err
	}
	for _, r := range regions {
		if !r.Valid() {
			return nil, fmt.Errorf("region %s is not a GB/T 2260 province code", r)
		}
		if k.Issuers[r], err = newKey(dir, "issuer-"+r.String()); err != nil {
			return nil, err
		}
	}
	return k, nil
}

func newKey(dir, name string) (ed25519.PrivateKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	if err := pemkey.WriteFileAtomic(filepath.Join(dir, name+".key"), pemkey.EncodePrivate(priv), 0o600); err != nil {
		return nil, err
	}
	return priv, pemkey.WriteFileAtomic(filepath.Join(dir, name+".pub"), pemkey.EncodePublic(pub), 0o644)
}

// NeedKeys says what to do when the data directory dir holds no keys, so a
// program can refuse before it makes a database there.
func NeedKeys(dir string) error {
	if _, err := os.Stat(filepath.Join(KeysDir(dir), "root.key")); errors.Is(err, fs.ErrNotExist) {
		return noKeys(dir)
	}
	return nil
}

func noKeys(dir string) error {
	return fmt.Errorf("no keys in %s: run `hcserver keys init --dir %s` first", dir, dir)
}

// LoadKeys reads a key directory made by InitKeys.
func LoadKeys(dir string) (*Keys, error) {
	k := &Keys{Dir: dir, Issuers: map[healthcode.Region]ed25519.PrivateKey{}}
	var err error
	if k.Root, err = pemkey.ReadPrivate(filepath.Join(dir, "root.key")); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, noKeys(dir)
		}
		return nil, err
	}
	if k.Server, err = pemkey.ReadPrivate(filepath.Join(dir, "server.key")); err != nil {
		return nil, err
	}
	if k.Seal, k.SealCreated, err = loadSealKey(dir); err != nil {
		return nil, err
	}
	if k.RetiredSeals, err = loadRetiredSeals(dir); err != nil {
		return nil, err
	}
	if k.Subject, k.SubjectCreated, err = loadSubjectKey(dir); err != nil {
		return nil, err
	}
	names, _ := filepath.Glob(filepath.Join(dir, "issuer-*.key"))
	for _, n := range names {
		r, err := healthcode.ParseRegion(strings.TrimSuffix(strings.TrimPrefix(filepath.Base(n), "issuer-"), ".key"))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		if k.Issuers[r], err = pemkey.ReadPrivate(n); err != nil {
			return nil, err
		}
	}
	if len(k.Issuers) == 0 {
		return nil, fmt.Errorf("no issuer keys (issuer-REGION.key) in %s", dir)
	}
	return k, nil
}

// Regions lists the issuing regions in order.
func (k *Keys) Regions() []healthcode.Region {
	rs := make([]healthcode.Region, 0, len(k.Issuers))
	for r := range k.Issuers {
		rs = append(rs, r)
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i] < rs[j] })
	return rs
}

// Issuer returns the issuer for a region (its province's key).
func (k *Keys) Issuer(r healthcode.Region) (healthcode.Issuer, error) {
	key, ok := k.Issuers[r.Province()]
	if !ok {
		return healthcode.Issuer{}, fmt.Errorf("no issuer key for region %s in %s (have %v)", r, k.Dir, k.Regions())
	}
	return healthcode.Issuer{Region: r.Province(), Key: key}, nil
}

// TrustList builds the trust list of every issuer key, with sequence seq.
func (k *Keys) TrustList(seq uint64, now time.Time) (*healthcode.TrustList, error) {
	var issuers []healthcode.IssuerKey
	for _, r := range k.Regions() {
		pub := k.Issuers[r].Public().(ed25519.PublicKey)
		issuers = append(issuers, healthcode.IssuerKey{KID: healthcode.KeyID(pub), Region: r, Name: r.Name("zh") + " / " + r.Name("en"), PublicKey: pub})
	}
	tl, err := healthcode.NewTrustList(seq, now.UTC().Truncate(time.Second), issuers, k.Server.Public().(ed25519.PublicKey))
	if err == nil {
		tl.SealKey = k.SealPublic()
	}
	return tl, err
}
