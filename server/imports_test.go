package server_test

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestHandlersDoNotImportDatabases: a package under hcscan/server that
// imports net/http (it serves HTTP, or calls the server) depends on the
// Store interface, never on a database driver, directly or through other
// packages. The adapters (boltstore, pgstore) are picked by the program
// that wires the server. storetest is test support: it runs the real
// scanner (whose store is a bbolt file) against the server.
func TestHandlersDoNotImportDatabases(t *testing.T) {
	out, err := exec.Command("go", "list", "-json=ImportPath,Imports,Deps", "hcscan/server/...").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	drivers := []string{"go.etcd.io/bbolt", "github.com/jackc/pgx"}
	checked := map[string]bool{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p struct {
			ImportPath string
			Imports    []string
			Deps       []string
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(p.Imports, "net/http") || p.ImportPath == "hcscan/server/storetest" {
			continue
		}
		checked[p.ImportPath] = true
		var bad []string
		for _, d := range p.Deps {
			for _, drv := range drivers {
				if d == drv || strings.HasPrefix(d, drv+"/") {
					bad = append(bad, d)
				}
			}
		}
		if len(bad) > 0 {
			t.Errorf("%s imports net/http and depends on database drivers: %s", p.ImportPath, strings.Join(bad, ", "))
		}
	}
	for _, want := range []string{"hcscan/server", "hcscan/server/portal"} {
		if !checked[want] {
			t.Errorf("%s was not checked (does it still import net/http?)", want)
		}
	}
}
