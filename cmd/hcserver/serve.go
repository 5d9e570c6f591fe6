package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"flag"
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
	"hcscan/server"
	"hcscan/server/portal"
)

func init() {
	register("serve", "run the provincial server: `hcserver serve --data D --addr 127.0.0.1:8080 [--db postgres://...]`", runServe)
}

func runServe(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serve(ctx, args, os.Stdout, os.Stderr)
}

// serve runs until ctx ends; it prints the addresses it listens on to out
// (useful with port 0) and logs to errOut.
func serve(ctx context.Context, args []string, out, errOut io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(errOut)
	data := fs.String("data", "", "data directory: the keys (`hcserver keys init --dir D`) and server.db (unless --db)")
	addr := fs.String("addr", "127.0.0.1:8080", "address for scanners and the portal (host:port; port 0 picks one)")
	adminAddr := fs.String("admin-addr", "127.0.0.1:0", "loopback address for `hcserver token` and `hcserver status set` while serving")
	cert := fs.String("tls-cert", "", "TLS certificate (PEM); with --tls-key, serve HTTPS")
	key := fs.String("tls-key", "", "TLS private key (PEM)")
	db := dbFlag(fs)
	verbose := fs.Bool("v", false, "log every batch")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	fail := func(err error) int {
		fmt.Fprintln(errOut, "hcserver serve:", err)
		return exitUsage
	}
	if *data == "" {
		return fail(errors.New("--data is required"))
	}
	if (*cert == "") != (*key == "") {
		return fail(errors.New("--tls-cert and --tls-key go together"))
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(errOut, &slog.HandlerOptions{Level: level}))

	if host, _, err := net.SplitHostPort(*adminAddr); err != nil || !isLoopback(host) {
		return fail(fmt.Errorf("--admin-addr %q must be a loopback address", *adminAddr))
	}
	st, err := openDB(ctx, *data, *db, log)
	if err != nil {
		return fail(err)
	}
	srv, err := server.New(ctx, server.Config{Dir: *data, Logger: log, Store: st})
	if err != nil {
		return fail(err)
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fail(err)
	}
	adminLn, err := net.Listen("tcp", *adminAddr)
	if err != nil {
		ln.Close()
		return fail(err)
	}
	secret := server.NewAdminSecret()
	if err := server.WriteAdminFiles(*data, adminLn.Addr().String(), secret); err != nil {
		ln.Close()
		adminLn.Close()
		return fail(err)
	}
	defer server.RemoveAdminFiles(*data)

	site, err := portal.New(portal.Config{Store: srv.Store(), Province: srv, Logger: log, Now: srv.Now})
	if err != nil {
		ln.Close()
		adminLn.Close()
		return fail(err)
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
	fmt.Fprintf(out, "serving scanners and the portal on %s://%s/ (trust list sequence %d; store: %s)\n", scheme, ln.Addr(), srv.TrustSeq(), store)
	fmt.Fprintf(out, "admin API on http://%s (loopback; secret in %s)\n", adminLn.Addr(), *data)
	fmt.Fprintf(out, "root key fingerprint (scanners pin this): %s\n", healthcode.Fingerprint(srv.Keys().Root.Public().(ed25519.PublicKey)))

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	code := exitOK
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
				fmt.Fprintln(errOut, "hcserver serve:", err)
				code = exitUsage
			}
			break loop
		}
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pub.Shutdown(shutdown)
	admin.Shutdown(shutdown)
	log.Info("server stopped")
	return code
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
