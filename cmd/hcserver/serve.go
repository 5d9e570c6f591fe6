package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"hcscan/healthcode"
	"hcscan/internal/cli"
	"hcscan/server"
	"hcscan/server/portal"
)

// runServe is `hcserver serve`: the provincial server until ctx ends
// (SIGINT or SIGTERM), then a graceful shutdown; SIGHUP reloads the keys.
// It prints the addresses it listens on to stdout (useful with port 0) and
// logs to stderr.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.FlagSet("hcserver", "serve", stderr)
	data := fs.String("data", "", "data directory: the keys (`hcserver keys init --dir D`) and server.db (unless --db)")
	addr := fs.String("addr", "127.0.0.1:8080", "address for scanners and the portal (host:port; port 0 picks one)")
	adminAddr := fs.String("admin-addr", "127.0.0.1:0", "loopback address for `hcserver token` and `hcserver status set` while serving")
	cert := fs.String("tls-cert", "", "TLS certificate (PEM); with --tls-key, serve HTTPS")
	key := fs.String("tls-key", "", "TLS private key (PEM)")
	db := dbFlag(fs)
	dbRead := fs.String("db-read", os.Getenv("HCSERVER_DB_READ"), "with --db: a hot standby for the portal's reads of records (default $HCSERVER_DB_READ; empty: the primary)")
	keepDays := fs.Int("keep-days", 400, "with --db: records are kept this many days, older days are dropped every 10 minutes (0: never)")
	maxConns := fs.Int("max-conns", 4096, "connections served at once; more wait in the kernel's queue (each costs a file descriptor and some 20 KB)")
	verbose := fs.Bool("v", false, "log every batch")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *data == "" {
		return usage(errors.New("--data is required"))
	}
	if *dbRead != "" && *db == "" {
		return usage(errors.New("--db-read goes with --db"))
	}
	if (*cert == "") != (*key == "") {
		return usage(errors.New("--tls-cert and --tls-key go together"))
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	if host, _, err := net.SplitHostPort(*adminAddr); err != nil || !isLoopback(host) {
		return usage(fmt.Errorf("--admin-addr %q must be a loopback address", *adminAddr))
	}
	st, err := openDB(ctx, *data, *db, *dbRead, log)
	if err != nil {
		return usage(err)
	}
	srv, err := server.New(ctx, server.Config{Dir: *data, Logger: log, Store: st, KeepRecords: time.Duration(*keepDays) * 24 * time.Hour})
	if err != nil {
		return usage(err)
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return usage(err)
	}
	ln = server.LimitListener(ln, *maxConns)
	adminLn, err := net.Listen("tcp", *adminAddr)
	if err != nil {
		ln.Close()
		return usage(err)
	}
	secret := server.NewAdminSecret()
	if err := server.WriteAdminFiles(*data, adminLn.Addr().String(), secret); err != nil {
		ln.Close()
		adminLn.Close()
		return usage(err)
	}
	defer server.RemoveAdminFiles(*data)

	site, err := portal.New(portal.Config{Store: srv.Store(), Province: srv, Logger: log, Now: srv.Now})
	if err != nil {
		ln.Close()
		adminLn.Close()
		return usage(err)
	}
	pub := server.NewHTTPServer(ln.Addr().String(), srv.Handler(site), log)
	admin := server.NewHTTPServer(adminLn.Addr().String(), srv.AdminHandler(secret), log)
	errc := make(chan error, 2)
	scheme := "http"
	if *cert != "" {
		scheme = "https"
		go func() { errc <- pub.ServeTLS(ln, *cert, *key) }()
	} else {
		go func() { errc <- pub.Serve(ln) }()
	}
	go func() { errc <- admin.Serve(adminLn) }()
	store := "bbolt file " + filepath.Join(*data, "server.db")
	if *db != "" {
		store = "PostgreSQL"
	}
	fmt.Fprintf(stdout, "serving scanners and the portal on %s://%s/ (trust list sequence %d; store: %s)\n", scheme, ln.Addr(), srv.TrustSeq(), store)
	fmt.Fprintf(stdout, "admin API on http://%s (loopback; secret in %s)\n", adminLn.Addr(), *data)
	fmt.Fprintf(stdout, "root key fingerprint (scanners pin this): %s\n", healthcode.Fingerprint(srv.Keys().Root.Public().(ed25519.PublicKey)))

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	var failed error
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-hup:
			if err := srv.ReloadKeys(ctx); err != nil {
				log.Error("reload keys", "err", err)
			}
		case err := <-errc:
			if !errors.Is(err, http.ErrServerClosed) {
				failed = usage(err)
			}
			break loop
		}
	}
	// ctx has ended: requests in flight get 10 s to finish.
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pub.Shutdown(shutdown)
	admin.Shutdown(shutdown)
	log.Info("server stopped")
	return failed
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
