// Package archtest holds the checks on the shape of the whole tree: what
// a reviewer would otherwise have to remember on every change.
package archtest

import (
	"bufio"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// maxLines is the most a non-test Go file may hold: a file that grows past
// it is doing more than one job and wants splitting by job.
const maxLines = 400

// repoFiles lists the tracked Go files (git ls-files), as paths from the
// repository root, which is returned too.
func repoFiles(t *testing.T) (string, []string) {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("git", "-C", root, "ls-files", "*.go").Output()
	if err != nil {
		t.Skipf("not a git checkout (%v): the tree checks need git ls-files", err)
	}
	var files []string
	for _, f := range strings.Fields(string(out)) {
		if _, err := os.Stat(filepath.Join(root, f)); err == nil {
			files = append(files, f)
		}
	}
	if len(files) < 50 {
		t.Fatalf("only %d Go files found under %s", len(files), root)
	}
	return root, files
}

func TestNoLongFiles(t *testing.T) {
	root, files := repoFiles(t)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		n := countLines(t, filepath.Join(root, f))
		if n > maxLines {
			t.Errorf("%s has %d lines (at most %d outside tests): split it by job", f, n, maxLines)
		}
	}
}

func countLines(t *testing.T, path string) int {
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	n := 0
	for sc.Scan() {
		n++
	}
	return n
}

// Importing a package changes nothing in the process: no init functions
// outside tests (commands are a table built in main, tuning is called).
func TestNoInitFunctions(t *testing.T) {
	root, files := repoFiles(t)
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, filepath.Join(root, f), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range af.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == "init" {
				t.Errorf("%s: func init(): do the work where the program asks for it", fset.Position(fd.Pos()))
			}
		}
	}
}

// Comments say what and why, never who wrote the code or for which task.
func TestCommentsSayWhatNotWho(t *testing.T) {
	root, files := repoFiles(t)
	who := regexp.MustCompile(`(?i)\b(issue|task|ticket) ?#?\d+\b|\bengineer\b|\badded by\b|\bTODO\(\w+\)`)
	fset := token.NewFileSet()
	for _, f := range files {
		af, err := parser.ParseFile(fset, filepath.Join(root, f), nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, cg := range af.Comments {
			for _, c := range cg.List {
				if m := who.FindString(c.Text); m != "" {
					t.Errorf("%s: comment names who or which task (%q): say what and why", fset.Position(c.Pos()), m)
				}
			}
		}
	}
}
