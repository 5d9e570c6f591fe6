package pgtest

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"hcscan/internal/cpustat"
)

// Cluster is a primary and a streaming-replication standby, as a province
// runs them: the standby is made with pg_basebackup -R from the primary,
// follows its WAL and confirms every commit before the primary reports it
// (synchronous_standby_names), so promoting the standby after the primary
// dies loses no acknowledged transaction. Both listen on unix sockets in
// one directory (ports 5432 and 5433).
type Cluster struct {
	Primary *Server
	Standby *Server
}

// standbyName is the standby's cluster_name, which its WAL receiver
// reports to the primary as application_name.
const standbyName = "hcscan_standby"

// StartCluster starts a primary and its synchronous standby for t. fsync
// is off on both (the test kills the primary, not the machine), so a
// commit is acknowledged once the standby has written it.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	bin, err := binDir()
	if err != nil {
		t.Fatal(err)
	}
	dir := postgresDir(t)
	primary := &Server{bin: bin, dir: dir, data: filepath.Join(dir, "primary"), port: 5432}
	if out, err := primary.command("initdb", "-D", primary.data, "-U", "hcscan", "-A", "trust", "-E", "UTF8", "--locale=C", "-N").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	// wal_level replica and wal senders are PostgreSQL's defaults; the
	// local replication line of pg_hba.conf comes from initdb -A trust.
	const settings = "-c fsync=off -c full_page_writes=off -c synchronous_commit=on -c wal_keep_size=256MB"
	primary.start(t, settings)

	standby := &Server{bin: bin, dir: dir, data: filepath.Join(dir, "standby"), port: 5433}
	if out, err := standby.command("pg_basebackup", "-h", dir, "-p", strconv.Itoa(primary.port), "-U", "hcscan",
		"-D", standby.data, "-R", "-X", "stream", "-c", "fast").CombinedOutput(); err != nil {
		t.Fatalf("pg_basebackup: %v\n%s", err, out)
	}
	standby.start(t, settings+" -c cluster_name="+standbyName+" -c hot_standby=on")

	// Made synchronous only now: postgresql.auto.conf was copied by the
	// base backup, and a promoted standby that named a synchronous standby
	// of its own would wait for it on every commit.
	c := &Cluster{Primary: primary, Standby: standby}
	c.exec(t, primary, "ALTER SYSTEM SET synchronous_standby_names = '"+standbyName+"'")
	c.exec(t, primary, "SELECT pg_reload_conf()")
	deadline := time.Now().Add(30 * time.Second)
	for {
		if state := primary.Query(t, primary.URL("postgres"), "SELECT sync_state FROM pg_stat_replication WHERE application_name = '"+standbyName+"'"); state == "sync" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the standby did not become synchronous in 30 s; pg_stat_replication: %s",
				primary.Query(t, primary.URL("postgres"), "SELECT application_name, state, sync_state FROM pg_stat_replication"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	return c
}

func (c *Cluster) exec(t testing.TB, on *Server, sql string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, on.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// NewDatabase makes an empty database on the primary (the standby
// replays it) and returns the connection string naming both servers with
// target_session_attrs=read-write: a client connects to whichever of them
// accepts writes, so it finds the standby once it was promoted.
func (c *Cluster) NewDatabase(t testing.TB) string {
	t.Helper()
	single := c.Primary.NewDatabase(t)
	name := single[strings.LastIndex(single, "dbname=")+len("dbname="):]
	name = strings.Fields(name)[0]
	return c.URL(name)
}

// URL is the multi-host connection string of database db for writers.
func (c *Cluster) URL(db string) string {
	return fmt.Sprintf("host=%s,%s port=%d,%d user=hcscan dbname=%s sslmode=disable target_session_attrs=read-write connect_timeout=2",
		c.Primary.dir, c.Standby.dir, c.Primary.port, c.Standby.port, db)
}

// Kill stops the server hard, as a crashed machine would: SIGKILL to the
// postmaster and every backend, no shutdown checkpoint, no goodbye to
// clients or to the standby.
func (p *Server) Kill(t testing.TB) {
	t.Helper()
	pid, err := p.postmaster()
	if err != nil {
		t.Fatalf("kill postgres: %v", err)
	}
	// Stopped, the postmaster forks no new backend while its children
	// are collected (once it is dead they would be reparented).
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatalf("kill postgres %d: %v", pid, err)
	}
	for _, child := range cpustat.Children(pid) {
		syscall.Kill(child, syscall.SIGKILL)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill postgres %d: %v", pid, err)
	}
	for deadline := time.Now().Add(10 * time.Second); syscall.Kill(pid, 0) == nil; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("postgres %d still runs 10 s after SIGKILL", pid)
		}
	}
	p.mu.Lock()
	p.stopped = true
	p.mu.Unlock()
}

// Promote turns a standby into a primary (pg_ctl promote) and waits until
// it accepts writes.
func (p *Server) Promote(t testing.TB) {
	t.Helper()
	if out, err := p.command("pg_ctl", "-D", p.data, "-w", "-t", "60", "promote").CombinedOutput(); err != nil {
		t.Fatalf("pg_ctl promote: %v\n%s", err, out)
	}
	if err := p.waitWritable(30 * time.Second); err != nil {
		t.Fatal(err)
	}
}

func (p *Server) waitWritable(within time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	for {
		conn, err := pgx.Connect(ctx, p.URL("postgres"))
		if err == nil {
			var inRecovery bool
			err = conn.QueryRow(ctx, "SELECT pg_is_in_recovery()").Scan(&inRecovery)
			conn.Close(ctx)
			if err == nil && !inRecovery {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return errors.New("the promoted standby does not accept writes after " + within.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
