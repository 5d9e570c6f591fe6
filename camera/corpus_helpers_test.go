package camera

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// corpusDir finds the QR photographs: $HCSCAN_QR_CORPUS, or shared/testdata/qr
// beside the repository. A missing corpus fails the test: without it the
// decoder's figures mean nothing.
func corpusDir(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv("HCSCAN_QR_CORPUS")
	if dir == "" {
		_, file, _, _ := runtime.Caller(0)
		repoRoot := filepath.Dir(filepath.Dir(file))
		dir = filepath.Join(repoRoot, "..", "shared", "testdata", "qr")
	}
	if _, err := os.Stat(filepath.Join(dir, "README.md")); err != nil {
		tb.Fatalf("QR corpus not found at %s (clone shared/ beside the repository or set HCSCAN_QR_CORPUS): %v", dir, err)
	}
	return dir
}

// one is the single code a test expects in a scan; a scan with none or
// several gives a text that matches no expected one.
func one(s Scan) Code {
	if len(s.Codes) != 1 {
		return Code{Text: fmt.Sprintf("<%d codes in one scan>", len(s.Codes))}
	}
	return s.Codes[0]
}
