package camera

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"hcscan/camera/stressset"
)

// stressMatchFloor is the number of the generated stress set's codes read
// exactly (zxing-cpp 2 reads 96 of 118 on the same set, see README). Raise
// it when the decoder gets better; it must never go down.
const stressMatchFloor = 103

var stress struct {
	once sync.Once
	dir  string
	imgs []stressset.Image
	err  error
}

// stressSet writes the generated stress set once per test binary (about
// 20 s on the 2-core machine) and returns its folder and images.
func stressSet(tb testing.TB) (string, []stressset.Image) {
	tb.Helper()
	stress.once.Do(func() {
		stress.dir, stress.err = os.MkdirTemp("", "hcscan-stress")
		if stress.err == nil {
			stress.imgs, stress.err = stressset.Write(stress.dir, stressset.DefaultSeed)
		}
	})
	if stress.err != nil {
		tb.Fatalf("stress set: %v", stress.err)
	}
	return stress.dir, stress.imgs
}

// stressScore is what a decoder read of the stress set.
type stressScore struct {
	matches, codes, falseReads int
	byKind                     map[string][2]int // read, total
	times                      []time.Duration
	missed                     []string
}

// scoreStress decodes every image of the set with read and counts codes
// read exactly, and texts read that the image does not hold (false reads).
func scoreStress(dir string, imgs []stressset.Image, read func(path string) ([]string, time.Duration)) stressScore {
	s := stressScore{byKind: map[string][2]int{}}
	for _, im := range imgs {
		got, took := read(filepath.Join(dir, im.File))
		s.times = append(s.times, took)
		k := s.byKind[im.Kind]
		for _, want := range im.Texts {
			s.codes++
			k[1]++
			if slices.Contains(got, want) {
				s.matches++
				k[0]++
			} else {
				s.missed = append(s.missed, im.File)
			}
		}
		s.byKind[im.Kind] = k
		for _, g := range got {
			if !slices.Contains(im.Texts, g) {
				s.falseReads++
			}
		}
	}
	return s
}

func (s stressScore) String() string {
	var b strings.Builder
	for _, k := range []string{"inverted", "tiny", "huge", "dotted", "curved", "blurred", "lowcontrast", "multi", "screen", "keystone"} {
		v := s.byKind[k]
		fmt.Fprintf(&b, "%s %d/%d  ", k, v[0], v[1])
	}
	return b.String()
}

// TestStressSetMatches decodes the generated stress set (inverted, tiny,
// huge, dotted, curved, blurred, low-contrast, several codes a picture,
// phone screens with moiré, keystoned): every code read counts, and a text
// that is not in the picture fails the test (a wrong text is worse than none).
func TestStressSetMatches(t *testing.T) {
	dir, imgs := stressSet(t)
	r := NewReader()
	defer r.Close()
	s := scoreStress(dir, imgs, func(path string) ([]string, time.Duration) {
		sc, _ := r.DecodeImageFile(path) // a picture with no code read is a miss
		return sc.Texts(), sc.DecodeTime
	})
	t.Logf("%d of %d codes read exactly, %d false reads, median %v per image; %s", s.matches, s.codes, s.falseReads, median(s.times), s)
	t.Logf("missed: %s", strings.Join(s.missed, " "))
	if s.falseReads > 0 {
		t.Errorf("%d false reads: texts that are not in the picture", s.falseReads)
	}
	if s.matches < stressMatchFloor {
		t.Errorf("read %d of %d stress-set codes exactly, want at least %d", s.matches, s.codes, stressMatchFloor)
	}
}
