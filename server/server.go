package server

import (
	"context"
	"crypto/ed25519"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	gosync "sync"
	"time"
)

// Config configures a Server.
type Config struct {
	// Dir is the data directory: the key directory made by `hcserver keys
	// init --dir DIR` (root.key, server.key, issuer-*.key; or a keys/
	// subdirectory holding them).
	Dir string
	// Store is where the server keeps everything (boltstore or pgstore);
	// the server closes it.
	Store Store
	// Logger gets the server's log; nil discards it.
	Logger *slog.Logger
	// Now is the clock (tests move it); nil is time.Now.
	Now func() time.Time
	// EnrollTokenTTL is how long an enrolment token is valid (default 7 days).
	EnrollTokenTTL time.Duration
	// PortalTokenTTL is how long a portal login token is valid (default
	// 90 days; a login can be revoked in the portal before that).
	PortalTokenTTL time.Duration
	// IdempotencyTTL is how long batch answers are kept (default 48 h).
	IdempotencyTTL time.Duration
	// StatusPage is the most status entries one answer of GET /v1/status
	// carries (default 50,000, some 7 MB); a longer delta or snapshot
	// comes in pages the scanner asks for one after the other.
	StatusPage int
	// Limits bound the request bodies held at once (see Limits).
	Limits Limits
	// KeepRecords is how long records are kept: a store that drops whole
	// days (RecordRetention, PostgreSQL) drops the days older than this
	// on the janitor's schedule. 0 keeps them.
	KeepRecords time.Duration
}

// RecordRetention is a store that drops whole days of records at once
// (pgstore: a day is a partition).
type RecordRetention interface {
	// DropDaysBefore removes the records of the days before cutoff's day
	// and returns what it dropped.
	DropDaysBefore(ctx context.Context, cutoff time.Time) ([]string, error)
}

// Server is the reference provincial server.
type Server struct {
	cfg   Config
	keys  *Keys
	store Store
	log   *slog.Logger
	now   func() time.Time

	bodies *bodyBudget
	// deviceKeys holds signing devices' keys ready for verifying.
	deviceKeys deviceKeys

	trustMu gosync.RWMutex
	trust   TrustState

	stop context.CancelFunc
	done chan struct{}
}

// KeysDir finds the key directory in a data directory.
func KeysDir(dir string) string {
	if _, err := os.Stat(filepath.Join(dir, "root.key")); err != nil {
		if _, err := os.Stat(filepath.Join(dir, "keys", "root.key")); err == nil {
			return filepath.Join(dir, "keys")
		}
	}
	return dir
}

// New opens the keys of cfg.Dir and prepares the trust list on cfg.Store
// (ctx bounds only that start). On an error the store is closed.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("new server: no store")
	}
	st := cfg.Store
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.EnrollTokenTTL <= 0 {
		cfg.EnrollTokenTTL = 7 * 24 * time.Hour
	}
	if cfg.PortalTokenTTL <= 0 {
		cfg.PortalTokenTTL = 90 * 24 * time.Hour
	}
	if cfg.IdempotencyTTL <= 0 {
		cfg.IdempotencyTTL = 48 * time.Hour
	}
	keys, err := LoadKeys(KeysDir(cfg.Dir))
	if err != nil {
		st.Close()
		return nil, err
	}
	if keys.SealCreated {
		cfg.Logger.Warn("the key directory had no sealing key for manual entries: made seal.key and seal.pub; scanners enrolled before get it when they enrol again", "dir", keys.Dir)
	}
	if keys.SubjectCreated {
		cfg.Logger.Warn("the key directory had no subject key for person keys: made subject.key; codes issued from now on carry person keys", "dir", keys.Dir)
	}
	if cfg.StatusPage <= 0 {
		cfg.StatusPage = 50_000
	}
	cfg.Limits.defaults()
	s := &Server{cfg: cfg, keys: keys, store: st, log: cfg.Logger, now: cfg.Now, bodies: newBodyBudget(cfg.Limits)}
	if s.trust, err = refreshTrust(ctx, st, keys, s.now()); err != nil {
		st.Close()
		return nil, err
	}
	life, stop := context.WithCancel(context.Background())
	s.stop, s.done = stop, make(chan struct{})
	go s.janitor(life)
	return s, nil
}

// Close stops the background work and closes the store.
func (s *Server) Close() error {
	s.stop()
	<-s.done
	return s.store.Close()
}

// Store is the server's store (for commands and tests).
func (s *Server) Store() Store { return s.store }

// Now is the server's clock.
func (s *Server) Now() time.Time { return s.now() }

// Keys is the server's key directory.
func (s *Server) Keys() *Keys { return s.keys }

// TrustSeq is the sequence of the trust list served.
func (s *Server) TrustSeq() uint64 {
	s.trustMu.RLock()
	defer s.trustMu.RUnlock()
	return s.trust.Seq
}

// ReloadKeys reads the key directory again (SIGHUP in `hcserver serve`);
// changed keys give a trust list with a higher sequence.
func (s *Server) ReloadKeys(ctx context.Context) error {
	keys, err := LoadKeys(s.keys.Dir)
	if err != nil {
		return err
	}
	if !keys.Server.Equal(s.keys.Server) {
		return errors.New("reload keys: server.key changed; restart the server instead")
	}
	if !keys.Seal.Equal(s.keys.Seal) && !keys.retired(s.keys.Seal) {
		return errors.New("reload keys: seal.key changed without keeping the old one (`hcserver keys rotate-seal` keeps it as seal-retired-*.key); the sealed identities already uploaded open only with the old key: put it back")
	}
	if !sameSubject(keys, s.keys) {
		return errors.New("reload keys: subject.key changed; every person key and every institution's roster depends on it: put it back")
	}
	ts, err := refreshTrust(ctx, s.store, keys, s.now())
	if err != nil {
		return err
	}
	s.trustMu.Lock()
	s.keys, s.trust = keys, ts
	s.trustMu.Unlock()
	s.log.Info("keys reloaded", "trust_seq", ts.Seq)
	return nil
}

func (s *Server) janitor(ctx context.Context) {
	defer close(s.done)
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.store.Prune(ctx, s.now().Add(-s.cfg.IdempotencyTTL), s.now()); err != nil {
				s.log.Error("prune idempotency answers, sessions and nonces", "err", err)
			}
			if rr, ok := s.store.(RecordRetention); ok && s.cfg.KeepRecords > 0 {
				if _, err := rr.DropDaysBefore(ctx, s.now().Add(-s.cfg.KeepRecords)); err != nil {
					s.log.Error("drop records older than the retention period", "keep", s.cfg.KeepRecords, "err", err)
				}
			}
		}
	}
}

// serverPub is the server's public key.
func (s *Server) serverPub() ed25519.PublicKey { return s.keys.Server.Public().(ed25519.PublicKey) }
