// Package pgtest starts a real PostgreSQL server for tests and benchmarks:
// initdb and pg_ctl from the postgresql package, a data directory in
// t.TempDir(), listening only on a unix socket in that directory (no TCP
// port to collide on), stopped in t.Cleanup. Without the programs the test
// fails and says to run `make test` (whose setup installs them).
package pgtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"hcscan/internal/cpustat"
)

// Server is a PostgreSQL server started for a test.
type Server struct {
	bin  string // directory of initdb, pg_ctl
	dir  string // socket directory
	data string
	port int
	mu   gosync.Mutex
	n    int
	// stopped is set once the server was killed: cleanup leaves it alone.
	stopped bool
}

// pgBinDir finds the PostgreSQL server programs.
func binDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { // newest major version first
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[i])))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[j])))
		return vi > vj
	})
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "pg_ctl")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", fmt.Errorf("the PostgreSQL server programs (initdb, pg_ctl) are not installed: run `make test`, whose setup installs the postgresql package")
}

// pgCommand runs a PostgreSQL program, as the postgres user when the test
// runs as root (PostgreSQL refuses to run as root).
func (p *Server) command(name string, args ...string) *exec.Cmd {
	prog := filepath.Join(p.bin, name)
	if os.Geteuid() == 0 {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", prog}, args...)...)
	}
	return exec.Command(prog, args...)
}

// Start starts a PostgreSQL server for t, stopped in t.Cleanup.
// durable keeps fsync on (benchmarks); tests turn it off for speed.
func Start(t testing.TB, durable bool) *Server {
	t.Helper()
	bin, err := binDir()
	if err != nil {
		t.Fatal(err)
	}
	p := &Server{bin: bin, dir: postgresDir(t), port: 5432}
	p.data = filepath.Join(p.dir, "data")
	if out, err := p.command("initdb", "-D", p.data, "-U", "hcscan", "-A", "trust", "-E", "UTF8", "--locale=C", "-N").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	opts := ""
	if !durable {
		opts = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
	}
	p.start(t, opts)
	return p
}

// postgresDir is a new temporary directory the postgres user may use.
func postgresDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root, PostgreSQL needs the postgres user to run as: %v (run `make test`, whose setup installs the postgresql package)", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		// t.TempDir's parent is 0700: let postgres through to its directory.
		if err := os.Chmod(filepath.Dir(dir), 0o711); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// start runs the server of p.data on its socket with the extra settings
// opts, and stops it in t.Cleanup unless it was killed.
func (p *Server) start(t testing.TB, opts string) {
	t.Helper()
	opts = fmt.Sprintf("-k %s -c listen_addresses= -p %d -c max_connections=100 -c shared_buffers=64MB %s", p.dir, p.port, opts)
	logFile := filepath.Join(p.dir, fmt.Sprintf("postgres-%d.log", p.port))
	if out, err := p.command("pg_ctl", "-D", p.data, "-l", logFile, "-o", opts, "-w", "-t", "60", "start").CombinedOutput(); err != nil {
		log, _ := os.ReadFile(logFile)
		t.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
	t.Cleanup(func() {
		p.mu.Lock()
		stopped := p.stopped
		p.mu.Unlock()
		if stopped {
			return
		}
		if out, err := p.command("pg_ctl", "-D", p.data, "-m", "immediate", "-w", "stop").CombinedOutput(); err != nil {
			t.Errorf("pg_ctl stop: %v\n%s", err, out)
		}
	})
}

// URL is the connection string of a database of this server.
func (p *Server) URL(db string) string {
	return fmt.Sprintf("host=%s port=%d user=hcscan dbname=%s sslmode=disable", p.dir, p.port, db)
}

// Dir is the directory of the server's socket.
func (p *Server) Dir() string { return p.dir }

// Port is the port number in the name of the server's socket.
func (p *Server) Port() int { return p.port }

// NewDatabase makes an empty database and returns its connection string.
func (p *Server) NewDatabase(t testing.TB) string {
	t.Helper()
	p.mu.Lock()
	p.n++
	name := fmt.Sprintf("hcscan_%d", p.n)
	p.mu.Unlock()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, p.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	return p.URL(name)
}

// Query runs one SQL statement on url and returns its rows as text, one
// line a row, columns separated by |.
func (p *Server) Query(t testing.TB, url, sql string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	var out []string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		var parts []string
		for _, v := range vals {
			parts = append(parts, fmt.Sprint(v))
		}
		out = append(out, strings.Join(parts, "|"))
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return strings.Join(out, "\n")
}

// postmaster is the process id of the server's postmaster.
func (p *Server) postmaster() (int, error) {
	data, err := os.ReadFile(filepath.Join(p.data, "postmaster.pid"))
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(data), "\n", 2)[0]))
	if err != nil {
		return 0, fmt.Errorf("postmaster.pid: %w", err)
	}
	return pid, nil
}

// CPUTime is the CPU time the server has used so far: the postmaster,
// its backends and background processes, and those that ended. A
// benchmark takes it before and after to state the database's CPU cost
// per operation.
func (p *Server) CPUTime(t testing.TB) time.Duration {
	t.Helper()
	pid, err := p.postmaster()
	if err != nil {
		t.Fatalf("postgres cpu time: %v", err)
	}
	d, err := cpustat.Tree(pid)
	if err != nil {
		t.Fatalf("postgres cpu time: %v", err)
	}
	return d
}
