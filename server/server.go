package server

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	gosync "sync"
	"time"

	"hcscan/protocol"
)

// Config configures a Server.
type Config struct {
	// Dir is the data directory: the key directory made by `hcserver keys
	// init --dir DIR` (root.key, server.key, issuer-*.key; or a keys/
	// subdirectory holding them) and the database server.db.
	Dir string
	// Store replaces the embedded bbolt store (server.db in Dir).
	Store Store
	// Logger gets the server's log; nil discards it.
	Logger *slog.Logger
	// Now is the clock (tests move it); nil is time.Now.
	Now func() time.Time
	// StatusHistory is how many status changes are kept for deltas
	// (default 1,000,000); older `since` values get 410 and a snapshot.
	StatusHistory int
	// EnrollTokenTTL is how long an enrolment token is valid (default 7 days).
	EnrollTokenTTL time.Duration
	// PortalTokenTTL is how long a portal login token is valid (default 1 year).
	PortalTokenTTL time.Duration
	// IdempotencyTTL is how long batch answers are kept (default 48 h).
	IdempotencyTTL time.Duration
}

// Server is the reference provincial server.
type Server struct {
	cfg   Config
	keys  *Keys
	store Store
	log   *slog.Logger
	now   func() time.Time

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

// New opens the keys and the store of cfg.Dir and prepares the trust list.
// A database held by another process gives an error wrapping ErrStoreBusy.
func New(cfg Config) (*Server, error) {
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
		cfg.PortalTokenTTL = 365 * 24 * time.Hour
	}
	if cfg.IdempotencyTTL <= 0 {
		cfg.IdempotencyTTL = 48 * time.Hour
	}
	keys, err := LoadKeys(KeysDir(cfg.Dir))
	if err != nil {
		return nil, err
	}
	st := cfg.Store
	if st == nil {
		bs, err := OpenBolt(filepath.Join(cfg.Dir, "server.db"), cfg.StatusHistory)
		if err != nil {
			return nil, err
		}
		st = bs
	}
	if keys.SealCreated {
		cfg.Logger.Warn("the key directory had no sealing key for manual entries: made seal.key and seal.pub; scanners enrolled before get it when they enrol again", "dir", keys.Dir)
	}
	s := &Server{cfg: cfg, keys: keys, store: st, log: cfg.Logger, now: cfg.Now}
	if s.trust, err = refreshTrust(context.Background(), st, keys, s.now()); err != nil {
		st.Close()
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.stop, s.done = cancel, make(chan struct{})
	go s.janitor(ctx)
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
	if !keys.Seal.Equal(s.keys.Seal) {
		return errors.New("reload keys: seal.key changed; the sealed identities already uploaded open only with the old key: put it back")
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
		}
	}
}

// Handler serves the scanner API (/v1/) and the portal (/portal/).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/enroll", s.method(http.MethodPost, s.handleEnroll))
	mux.HandleFunc("/v1/trust-list", s.method(http.MethodGet, s.signed(0, s.handleTrustList)))
	mux.HandleFunc("/v1/status", s.method(http.MethodGet, s.signed(0, s.handleStatus)))
	mux.HandleFunc("/v1/status/{hash}", s.method(http.MethodGet, s.signed(0, s.handleLiveStatus)))
	mux.HandleFunc("/v1/records", s.method(http.MethodPost, s.signed(protocol.MaxRecordsBody, s.handleRecords)))
	mux.HandleFunc("/v1/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, http.StatusNotFound, protocol.ErrNotFound, "no such endpoint: "+r.URL.Path)
	})
	s.portalRoutes(mux)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			http.Redirect(w, r, "/portal/", http.StatusSeeOther)
			return
		}
		s.fail(w, http.StatusNotFound, protocol.ErrNotFound, "no such page: "+r.URL.Path)
	})
	return s.stamp(mux)
}

// stamp puts the server time on every response and turns a panic into a 500.
func (s *Server) stamp(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		protocol.SetServerTime(w.Header(), s.now())
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic in handler", "path", r.URL.Path, "panic", fmt.Sprint(v))
				s.fail(w, http.StatusInternalServerError, protocol.ErrInternal, "internal error")
			}
		}()
		h.ServeHTTP(w, r)
	})
}

func (s *Server) method(m string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != m && !(m == http.MethodGet && r.Method == http.MethodHead) {
			w.Header().Set("Allow", m)
			s.fail(w, http.StatusMethodNotAllowed, protocol.ErrMethodNotAllowed, r.Method+" is not allowed here; use "+m)
			return
		}
		h(w, r)
	}
}

func (s *Server) fail(w http.ResponseWriter, status int, code, msg string) {
	s.writeJSON(w, status, protocol.ErrorReply{Code: code, Message: msg, ServerTime: s.now().UTC()})
}

func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		s.log.Error("encode reply", "err", err)
		status, data = http.StatusInternalServerError, []byte(`{"error":"internal","message":"encode reply"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(data, '\n'))
}

// NewHTTPServer wraps a handler with the timeouts a public server needs, so
// slow or stalled clients cannot hold connections and memory.
func NewHTTPServer(addr string, h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// serverPub is the server's public key.
func (s *Server) serverPub() ed25519.PublicKey { return s.keys.Server.Public().(ed25519.PublicKey) }
