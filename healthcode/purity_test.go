package healthcode

import (
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"
)

// The domain package does no I/O and imports no other hcscan package.
func TestNoIOAndNoProjectImports(t *testing.T) {
	forbidden := []string{"os", "os/exec", "net", "net/http", "io/ioutil", "log", "log/slog", "fmt.Print", "syscall", "unsafe"}
	files, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		name := f.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(p, "hcscan/") {
				t.Errorf("%s imports %s: healthcode must not import other hcscan packages", name, p)
			}
			for _, bad := range forbidden {
				if p == bad {
					t.Errorf("%s imports %s: healthcode does no I/O", name, p)
				}
			}
		}
	}
}
