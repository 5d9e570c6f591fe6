package server

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"hcscan/healthcode"
)

// TrustState is the trust list being served.
type TrustState struct {
	Seq         uint64 `json:"seq"`
	Fingerprint string `json:"fingerprint"` // of the keys it lists
	Doc         []byte `json:"doc"`         // the signed envelope
}

// TrustStore keeps the trust list the server serves, so every server
// process serves the same one and its sequence survives a restart.
type TrustStore interface {
	TrustState(ctx context.Context) (TrustState, error)
	// PutTrustState saves ts; a store shared by several processes keeps
	// the higher sequence.
	PutTrustState(ctx context.Context, ts TrustState) error
}

// keysFingerprint names the set of keys a trust list publishes, so the
// server notices a changed key directory and bumps the sequence.
func keysFingerprint(tl *healthcode.TrustList) string {
	var parts []string
	for _, k := range tl.Issuers {
		parts = append(parts, k.Region.String()+":"+hex.EncodeToString(k.PublicKey))
	}
	sort.Strings(parts)
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p + "\n"))
	}
	h.Write([]byte("status:" + hex.EncodeToString(tl.StatusKey)))
	if len(tl.SealKey) > 0 {
		h.Write([]byte("\nseal:" + hex.EncodeToString(tl.SealKey)))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// refreshTrust decides the trust list to serve: the one stored if the keys
// did not change, else a new one with the next sequence. A trust.json in
// the key directory (made by `hcserver trust-list` with the root key) wins
// when its sequence is higher than the one served. The sequence never goes
// down, so scanners never see a rollback.
func refreshTrust(ctx context.Context, st Store, keys *Keys, now time.Time) (TrustState, error) {
	cur, err := st.TrustState(ctx)
	if err != nil {
		return cur, fmt.Errorf("trust state: %w", err)
	}
	rootPub := keys.Root.Public().(ed25519.PublicKey)
	if data, err := os.ReadFile(filepath.Join(keys.Dir, "trust.json")); err == nil {
		tl, err := healthcode.ParseTrustList(data, rootPub, cur.Seq+1)
		if err == nil && !tl.StatusKey.Equal(keys.Server.Public().(ed25519.PublicKey)) {
			return cur, fmt.Errorf("%s: its status key is not this server's key (server.pub)", filepath.Join(keys.Dir, "trust.json"))
		}
		if err == nil {
			return putTrust(ctx, st, TrustState{Seq: tl.Seq, Fingerprint: keysFingerprint(tl), Doc: data})
		}
		if !errors.Is(err, healthcode.ErrTrustRollback) {
			return cur, fmt.Errorf("%s: %w", filepath.Join(keys.Dir, "trust.json"), err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return cur, fmt.Errorf("trust list: %w", err)
	}
	built, err := keys.TrustList(cur.Seq+1, now)
	if err != nil {
		return cur, err
	}
	fp := keysFingerprint(built)
	if cur.Seq > 0 && cur.Fingerprint == fp {
		return cur, nil
	}
	doc, err := built.Sign(keys.Root)
	if err != nil {
		return cur, err
	}
	return putTrust(ctx, st, TrustState{Seq: built.Seq, Fingerprint: fp, Doc: doc})
}

// putTrust saves a new trust list and returns what the store then holds:
// when several server processes share the store and start together, they
// all serve the list the first of them saved.
func putTrust(ctx context.Context, st Store, ts TrustState) (TrustState, error) {
	if err := st.PutTrustState(ctx, ts); err != nil {
		return ts, err
	}
	return st.TrustState(ctx)
}
