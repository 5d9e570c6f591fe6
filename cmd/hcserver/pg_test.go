package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"hcscan/healthcode"
	"hcscan/internal/cli"
	"hcscan/internal/pgtest"
)

// startServeArgs runs `hcserver serve` with args and returns its URL and
// first line.
func startServeArgs(t testing.TB, args ...string) (*exec.Cmd, string, string) {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "hcserver"), append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	stdout, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("serve printed nothing: %v\n%s", err, stderr.String())
	}
	m := regexp.MustCompile(`on (https?://[^/ ]+)/`).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("serve's first line %q names no address", line)
	}
	go io.Copy(io.Discard, stdout)
	return cmd, m[1], line
}

// TestServeOnPostgres: two real `hcserver serve --db` processes on one
// PostgreSQL database, tokens and colours set with `--db` while they run;
// one is killed and the other serves on.
func TestServeOnPostgres(t *testing.T) {
	pg := pgtest.Start(t, false)
	db := pg.NewDatabase(t)
	data := filepath.Join(t.TempDir(), "prov")
	if _, stderr, code := run(t, "", "hcserver", "keys", "init", "--dir", data); code != 0 {
		t.Fatalf("keys init: %s", stderr)
	}
	a, urlA, line := startServeArgs(t, "--data", data, "--db", db)
	if !strings.Contains(line, "store: PostgreSQL") {
		t.Errorf("first line %q does not name the store", line)
	}
	_, urlB, _ := startServeArgs(t, "--data", data, "--db", db)

	tok, stderr, code := run(t, "", "hcserver", "token", "--data", data, "--db", db, "--institution", "第一中学", "--gate", "北门")
	if code != 0 || strings.TrimSpace(tok) == "" {
		t.Fatalf("token --db: %d %s", code, stderr)
	}
	rep, key := enrolOver(t, urlA, strings.TrimSpace(tok))
	if len(rep.SealKey) != 32 {
		t.Errorf("enrolment reply has no seal key")
	}
	h := healthcode.CodeHash{9, 8, 7}
	out, stderr, code := run(t, "", "hcserver", "status", "set", "--data", data, "--db", db, "--code-hash", h.String(), "--colour", "red")
	if code != 0 || !strings.Contains(out, "status sequence 1") {
		t.Fatalf("status set --db: %d %q %s", code, out, stderr)
	}
	if c := liveColour(t, urlB, rep, key, h); c != healthcode.Red {
		t.Errorf("live colour on the second process %v, want red", c)
	}
	if tr, stderr, code := run(t, "", "hcserver", "token", "--data", data, "--db", db, "--institution", "第一中学", "--tracing"); code != 0 || strings.TrimSpace(tr) == "" {
		t.Errorf("tracing token: %d %s", code, stderr)
	}
	a.Process.Kill()
	a.Wait()
	if c := liveColour(t, urlB, rep, key, healthcode.CodeHash{1}); c != healthcode.ColourUnknown {
		t.Errorf("unknown code after the first process died: %v", c)
	}
	if _, stderr, code := run(t, "", "hcserver", "token", "--data", data, "--db", "host=/nonexistent dbname=x", "--institution", "x", "--portal"); code != cli.ExitUsage || !strings.Contains(stderr, "postgres") {
		t.Errorf("unreachable database: %d %q", code, stderr)
	}
}

// TestPruneCommand: `hcserver prune` drops the days before the retention
// period on the database named by --db, and refuses without one.
func TestPruneCommand(t *testing.T) {
	pg := pgtest.Start(t, false)
	db := pg.NewDatabase(t)
	data := filepath.Join(t.TempDir(), "prov")
	if _, stderr, code := run(t, "", "hcserver", "keys", "init", "--dir", data); code != 0 {
		t.Fatalf("keys init: %s", stderr)
	}
	// A serve process makes the schema; a partition of 100 days ago is
	// made by hand as a record of that day would make it.
	srv, _, _ := startServeArgs(t, "--data", data, "--db", db)
	day := time.Now().UTC().AddDate(0, 0, -100).Truncate(24 * time.Hour)
	name := "records_" + day.Format("20060102")
	pg.Query(t, db, fmt.Sprintf(`CREATE TABLE %s PARTITION OF records FOR VALUES FROM ('%s') TO ('%s')`, name, day.Format(time.RFC3339), day.AddDate(0, 0, 1).Format(time.RFC3339)))
	srv.Process.Kill()
	srv.Wait()
	out, stderr, code := run(t, "", "hcserver", "prune", "--db", db, "--keep-days", "30")
	if code != 0 || !strings.Contains(out, "dropped "+name) || !strings.Contains(out, "(1 day partitions)") {
		t.Fatalf("prune: %d %q %s", code, out, stderr)
	}
	if exists := pg.Query(t, db, fmt.Sprintf(`SELECT to_regclass('%s') IS NOT NULL`, name)); exists != "false" {
		t.Errorf("%s still exists after prune", name)
	}
	if _, stderr, code := run(t, "", "hcserver", "prune", "--keep-days", "30"); code != 2 || !strings.Contains(stderr, "--db is required") {
		t.Errorf("prune without --db: %d %s", code, stderr)
	}
}

// TestRotateSealCommand: `hcserver keys rotate-seal` keeps the old sealing
// key (0600) and writes a new one.
func TestRotateSealCommand(t *testing.T) {
	data := filepath.Join(t.TempDir(), "prov")
	if _, stderr, code := run(t, "", "hcserver", "keys", "init", "--dir", data); code != 0 {
		t.Fatalf("keys init: %s", stderr)
	}
	before, _ := os.ReadFile(filepath.Join(data, "seal.pub"))
	out, stderr, code := run(t, "", "hcserver", "keys", "rotate-seal", "--dir", data)
	if code != 0 || !strings.Contains(out, "seal-retired-") {
		t.Fatalf("rotate-seal: %d %q %s", code, out, stderr)
	}
	after, _ := os.ReadFile(filepath.Join(data, "seal.pub"))
	if bytes.Equal(before, after) {
		t.Errorf("seal.pub did not change")
	}
	kept, _ := filepath.Glob(filepath.Join(data, "seal-retired-*.key"))
	if len(kept) != 1 {
		t.Fatalf("retired keys: %v", kept)
	}
	if fi, err := os.Stat(kept[0]); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("%s: %v %v, want mode 0600", kept[0], fi.Mode(), err)
	}
}
