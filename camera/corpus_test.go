package camera

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// corpusMatchFloor is the number of corpus images decoded byte for byte
// (ZXingReader reads 161, zbarimg 146, plain gozxing 158). Raise it when the
// decoder gets better; it must never go down.
const corpusMatchFloor = 171

type corpusCase struct {
	rel  string // path under the corpus folder
	path string
	want []byte
}

func corpusCases(tb testing.TB) []corpusCase {
	tb.Helper()
	dir := corpusDir(tb)
	var cases []corpusCase
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !IsImagePath(p) {
			return err
		}
		want, err := os.ReadFile(strings.TrimSuffix(p, filepath.Ext(p)) + ".txt")
		if err != nil {
			return nil // an image without expected text is not part of the corpus
		}
		rel, _ := filepath.Rel(dir, p)
		cases = append(cases, corpusCase{rel: rel, path: p, want: want})
		return nil
	})
	if err != nil {
		tb.Fatalf("walk corpus: %v", err)
	}
	sort.Slice(cases, func(i, j int) bool { return cases[i].rel < cases[j].rel })
	if len(cases) < 100 {
		tb.Fatalf("QR corpus at %s has only %d images with expected text", dir, len(cases))
	}
	return cases
}

// TestCorpusExactMatches decodes every photograph of the corpus and compares
// the texts byte for byte with its .txt, as zxing's own harness does: an
// image counts when one of the codes read in it is the expected text
// (qrcode-2/16 holds a second, inner code).
func TestCorpusExactMatches(t *testing.T) {
	cases := corpusCases(t)
	r := NewReader()
	defer r.Close()
	matches := 0
	var misses []string
	var times []time.Duration
	for _, c := range cases {
		s, err := r.DecodeImageFile(c.path)
		times = append(times, s.DecodeTime)
		switch {
		case err == nil && slices.Contains(s.Texts(), string(c.want)):
			matches++
		case err == nil:
			misses = append(misses, c.rel+" (wrong text "+SafeText(strings.Join(s.Texts(), " | "))+")")
		case errors.Is(err, ErrNoCode):
			misses = append(misses, c.rel)
		default:
			t.Errorf("%s: %v", c.rel, err)
		}
	}
	t.Logf("%d of %d exact matches, median %v per image; missed: %s", matches, len(cases), median(times), strings.Join(misses, ", "))
	if matches < corpusMatchFloor {
		t.Errorf("decoded %d of %d corpus images exactly, want at least %d", matches, len(cases), corpusMatchFloor)
	}
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
