//go:build heldout

package camera

// The held-out comparison behind scripts/heldout.sh: hcscan, zxing-cpp 2
// (zxing-wasm) and zxing-cpp 1.4 (ZXingReader) on a folder of real
// photographs that is not the shared corpus ($HCSCAN_HELDOUT; the script's
// `get` assembles one). It measures; it asserts nothing, and nothing in the
// decoder is chosen by it.
//
// What a picture expects comes from the file beside it (same name):
//
//	NAME.txt       one code with exactly this text (zxing's convention); a
//	               .txt that starts "# list of hand selected 2D points" is
//	               BoofCV's and read as .corners
//	NAME.corners   one line of 8 numbers (4 corners) per code, texts unknown:
//	               a code counts when a read's centre lies inside it
//	NAME.none      no QR code: every read is a false read
//	(nothing)      text unknown: reads are counted, not scored
//
// Texts no one wrote down are checked against each other: where two
// decoders read different texts at the same code, at least one misread,
// and the pair is listed. A picture that looks like a shared-corpus image
// (same aspect and thumbnail) is skipped.

import (
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"gocv.io/x/gocv"
)

type heldKind int

const (
	heldExact heldKind = iota
	heldCorners
	heldNone
	heldUnknown
)

type heldCase struct {
	rel, path, set string
	kind           heldKind
	want           string
	polys          [][4][2]float64
}

func TestHeldOut(t *testing.T) {
	root := os.Getenv("HCSCAN_HELDOUT")
	if root == "" {
		t.Skip("HCSCAN_HELDOUT is not set: run scripts/heldout.sh FOLDER")
	}
	cases := heldCases(t, root)
	var paths []string
	for _, c := range cases {
		paths = append(paths, c.path)
	}
	decoders := []struct {
		name string
		read decoderFunc
	}{
		{"hcscan", readOursSteps(0, heldOutSteps(t))},
		{"zxing-cpp 2", readZXingWasm(t, 1)},
		{"ZXingReader 1.4", toolReader(t, "ZXingReader", []string{"-format", "QRCode"}, parseZXingReader, 0)},
	}
	reads := make([]map[string][]decoded, len(decoders))
	times := make([]map[string]time.Duration, len(decoders))
	for i, d := range decoders {
		t0 := time.Now()
		reads[i], times[i] = d.read(paths)
		fmt.Printf("%s: %d pictures in %v\n", d.name, len(paths), time.Since(t0).Round(time.Second))
	}
	scoreHeldOut(cases, decoders[0].name, decoders[1].name, decoders[2].name, reads, times)
}

// heldOutSteps is every optional step but those named in
// $HCSCAN_HELDOUT_WITHOUT (comma-separated: regions, costly, localgrid,
// zoom, pairs, fourth), to measure what a step is worth on the held-out photos.
func heldOutSteps(t *testing.T) stepSet {
	names := map[string]stepSet{"regions": useRegions, "costly": useCostly, "localgrid": useLocalGrid, "zoom": useZoom, "pairs": usePairs, "fourth": useFourth}
	steps := allSteps
	for _, n := range strings.Split(os.Getenv("HCSCAN_HELDOUT_WITHOUT"), ",") {
		if n == "" {
			continue
		}
		s, ok := names[n]
		if !ok {
			t.Fatalf("HCSCAN_HELDOUT_WITHOUT: unknown step %q", n)
		}
		steps &^= s
		fmt.Printf("hcscan without %s\n", n)
	}
	return steps
}

// heldTally is one decoder's score on one set.
type heldTally struct {
	read, codes, falseReads, unknownRead, unknown int
	times                                         []time.Duration
}

func scoreHeldOut(cases []heldCase, n0, n1, n2 string, reads []map[string][]decoded, times []map[string]time.Duration) {
	names := []string{n0, n1, n2}
	tallies := make([]map[string]*heldTally, len(names))
	for i := range tallies {
		tallies[i] = map[string]*heldTally{}
	}
	var sets []string
	// Per decoder, which codes it read, as "rel#n".
	got := make([]map[string]string, len(names))
	for i := range got {
		got[i] = map[string]string{}
	}
	var notes []string
	for _, c := range cases {
		if !slices.Contains(sets, c.set) {
			sets = append(sets, c.set)
		}
		for i := range names {
			tl := tallies[i][c.set]
			if tl == nil {
				tl = &heldTally{}
				tallies[i][c.set] = tl
			}
			rs := reads[i][c.path]
			tl.times = append(tl.times, times[i][c.path])
			switch c.kind {
			case heldExact:
				tl.codes++
				if readsText(rs, c.want) {
					tl.read++
					got[i][c.rel] = c.want
				}
				for _, r := range rs {
					if r.text != c.want && string(r.raw) != c.want && !readByOther(reads, i, c.path, r.text) {
						tl.falseReads++
						notes = append(notes, fmt.Sprintf("%s: %s read %q, expected %q", c.rel, names[i], clip(r.text), clip(c.want)))
					}
				}
			case heldNone:
				tl.falseReads += len(rs)
				for _, r := range rs {
					notes = append(notes, fmt.Sprintf("%s: %s read %q in a picture without a code", c.rel, names[i], clip(r.text)))
				}
			case heldUnknown:
				tl.unknown++
				if len(rs) > 0 {
					tl.unknownRead++
					got[i][c.rel] = rs[0].content()
				}
			case heldCorners:
				for n, poly := range c.polys {
					tl.codes++
					for _, r := range rs {
						if x, y := r.centre(); r.hasCorners && inPoly(poly, x, y) {
							tl.read++
							got[i][c.rel+"#"+strconv.Itoa(n)] = r.content()
							break
						}
					}
				}
			}
		}
		// Where decoders read different texts at the same code, one misread.
		keys := []string{c.rel}
		if c.kind == heldCorners {
			keys = keys[:0]
			for n := range c.polys {
				keys = append(keys, c.rel+"#"+strconv.Itoa(n))
			}
		}
		for _, k := range keys {
			if c.kind == heldExact {
				continue
			}
			var seen []string
			for i := range names {
				if txt, ok := got[i][k]; ok && !slices.Contains(seen, txt) {
					seen = append(seen, txt)
				}
			}
			if len(seen) > 1 {
				var b strings.Builder
				for i := range names {
					if txt, ok := got[i][k]; ok {
						fmt.Fprintf(&b, " %s %q", names[i], clip(txt))
					}
				}
				notes = append(notes, fmt.Sprintf("%s: decoders disagree:%s", k, b.String()))
			}
		}
	}
	sort.Strings(sets)

	fmt.Printf("\n%-28s", "set (codes)")
	for _, n := range names {
		fmt.Printf(" %18s", n)
	}
	fmt.Println()
	totals := make([]heldTally, len(names))
	for _, s := range sets {
		codes, unknown := tallies[0][s].codes, tallies[0][s].unknown
		label := fmt.Sprintf("%s (%d)", s, codes)
		if unknown > 0 {
			label = fmt.Sprintf("%s (%d+%d?)", s, codes, unknown)
		}
		fmt.Printf("%-28s", label)
		for i := range names {
			tl := tallies[i][s]
			cell := fmt.Sprintf("%d", tl.read)
			if tl.unknown > 0 {
				cell += fmt.Sprintf("+%d?", tl.unknownRead)
			}
			if tl.falseReads > 0 {
				cell += fmt.Sprintf(" (%d false)", tl.falseReads)
			}
			fmt.Printf(" %18s", cell)
			totals[i].read += tl.read
			totals[i].codes += tl.codes
			totals[i].falseReads += tl.falseReads
			totals[i].unknown += tl.unknown
			totals[i].unknownRead += tl.unknownRead
			totals[i].times = append(totals[i].times, tl.times...)
		}
		fmt.Println()
	}
	fmt.Printf("%-28s", fmt.Sprintf("all (%d+%d?)", totals[0].codes, totals[0].unknown))
	for i := range names {
		fmt.Printf(" %18s", fmt.Sprintf("%d+%d? (%d false)", totals[i].read, totals[i].unknownRead, totals[i].falseReads))
	}
	fmt.Printf("\n%-28s", "median ms/picture")
	for i := range names {
		fmt.Printf(" %18.1f", ms(median(totals[i].times)))
	}
	fmt.Printf("\n(hcscan: process CPU time of one decode, loading included; zxing-cpp 2: wall time of one read in Node; ZXingReader: wall time with process start)\n")
	fmt.Printf("?: pictures with no known text in which the decoder read something\n\n")

	for _, pair := range [][2]int{{1, 0}, {0, 1}} {
		var only []string
		for k := range got[pair[0]] {
			if _, ok := got[pair[1]][k]; !ok {
				only = append(only, k)
			}
		}
		sort.Strings(only)
		fmt.Printf("%s reads, %s does not (%d): %s\n\n", names[pair[0]], names[pair[1]], len(only), strings.Join(only, " "))
	}
	sort.Strings(notes)
	for _, n := range notes {
		fmt.Println(n)
	}
}

// readByOther reports whether another decoder read text in the same file
// (a second code in the picture, not a misread).
func readByOther(reads []map[string][]decoded, self int, path, text string) bool {
	for i, r := range reads {
		if i != self && slices.Contains(textsOf(r[path]), text) {
			return true
		}
	}
	return false
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// inPoly: is (x, y) inside the polygon (even-odd rule)?
func inPoly(p [4][2]float64, x, y float64) bool {
	in := false
	for i, j := 0, 3; i < 4; j, i = i, i+1 {
		xi, yi, xj, yj := p[i][0], p[i][1], p[j][0], p[j][1]
		if (yi > y) != (yj > y) && x < (xj-xi)*(y-yi)/(yj-yi)+xi {
			in = !in
		}
	}
	return in
}

// heldCases lists the pictures under root with what each expects, leaving
// out those that look like shared-corpus images.
func heldCases(t *testing.T, root string) []heldCase {
	corpus := corpusThumbs(t)
	var cases []heldCase
	var skipped []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !IsImagePath(p) {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		c := heldCase{rel: rel, path: p, set: filepath.Dir(rel), kind: heldUnknown}
		stem := strings.TrimSuffix(p, filepath.Ext(p))
		if b, err := os.ReadFile(stem + ".txt"); err == nil {
			if strings.HasPrefix(string(b), "# list of hand selected 2D points") {
				c.kind, c.polys = heldCorners, parseCorners(string(b))
			} else {
				c.kind, c.want = heldExact, string(b)
			}
		} else if b, err := os.ReadFile(stem + ".corners"); err == nil {
			c.kind, c.polys = heldCorners, parseCorners(string(b))
		} else if _, err := os.Stat(stem + ".none"); err == nil {
			c.kind = heldNone
		}
		if th, ok := heldThumbOf(p); ok {
			if like, ok := looksLike(th, corpus); ok {
				skipped = append(skipped, rel+"="+like)
				return nil
			}
		}
		cases = append(cases, c)
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", root, err)
	}
	if len(cases) == 0 {
		t.Fatalf("no pictures under %s", root)
	}
	fmt.Printf("%d pictures under %s; %d left out as shared-corpus images: %s\n", len(cases), root, len(skipped), strings.Join(skipped, " "))
	return cases
}

func parseCorners(s string) [][4][2]float64 {
	var out [][4][2]float64
	for _, l := range strings.Split(s, "\n") {
		f := strings.Fields(l)
		if len(f) != 8 {
			continue
		}
		var q [4][2]float64
		ok := true
		for i, v := range f {
			x, err := strconv.ParseFloat(v, 64)
			if err != nil {
				ok = false
				break
			}
			q[i/2][i%2] = x
		}
		if ok {
			out = append(out, q)
		}
	}
	return out
}

// heldThumb is a picture's aspect and a 16×16 grey thumbnail.
type heldThumb struct {
	name   string
	aspect float64
	pix    []byte
}

func heldThumbOf(path string) (heldThumb, bool) {
	m := gocv.IMRead(path, gocv.IMReadGrayScale)
	defer m.Close()
	if m.Empty() {
		return heldThumb{}, false
	}
	s := gocv.NewMat()
	defer s.Close()
	gocv.Resize(m, &s, image.Pt(16, 16), 0, 0, gocv.InterpolationArea)
	b, err := s.DataPtrUint8()
	if err != nil {
		return heldThumb{}, false
	}
	return heldThumb{name: filepath.Base(filepath.Dir(path)) + "/" + filepath.Base(path), aspect: float64(m.Cols()) / float64(m.Rows()), pix: append([]byte(nil), b...)}, true
}

// looksLike names the picture of ts that th is a copy of: the same aspect
// and nearly the same thumbnail (a re-encoded or rescaled copy).
func looksLike(th heldThumb, ts []heldThumb) (string, bool) {
	for _, c := range ts {
		if math.Abs(c.aspect/th.aspect-1) > 0.02 {
			continue
		}
		sum := 0
		for i, v := range th.pix {
			sum += abs(int(v) - int(c.pix[i]))
		}
		if sum < 4*len(th.pix) {
			return c.name, true
		}
	}
	return "", false
}

func corpusThumbs(t *testing.T) []heldThumb {
	var ts []heldThumb
	for _, c := range corpusCases(t) {
		if th, ok := heldThumbOf(c.path); ok {
			ts = append(ts, th)
		}
	}
	return ts
}
