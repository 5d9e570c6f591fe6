//go:build compare || heldout

package camera

// The decoders that hcscan is measured against, run on image files: hcscan's
// own Reader, zxing-cpp 2 (the zxing-wasm package under Node, installed by
// scripts/compare-decoders.sh and scripts/heldout.sh for measuring only),
// Debian's zxing-cpp 1.4 (ZXingReader) and zbar (zbarimg). Each returns, per
// file, the codes read (text and, where the tool says, corners) and a time.

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"gocv.io/x/gocv"
)

// decoded is one code a decoder read from a file.
type decoded struct {
	text string
	// raw is the code's bytes when the decoder gives them apart from
	// the text (a binary or non-UTF-8 code), else nil.
	raw []byte
	// corners: top-left, top-right, bottom-right, bottom-left in image
	// pixels, when hasCorners.
	corners    [4][2]float64
	hasCorners bool
}

// content is what the code holds: its bytes where the decoder gives them
// apart, else its text (two decoders may read the same bytes in different
// character sets).
func (d decoded) content() string {
	if d.raw != nil {
		return string(d.raw)
	}
	return d.text
}

// centre is the mean of the corners.
func (d decoded) centre() (float64, float64) {
	var x, y float64
	for _, c := range d.corners {
		x, y = x+c[0]/4, y+c[1]/4
	}
	return x, y
}

// decoderFunc reads every file: the codes per path and the time per path.
type decoderFunc func(paths []string) (map[string][]decoded, map[string]time.Duration)

// readsText reports whether one of ds is want, as text or as raw bytes.
func readsText(ds []decoded, want string) bool {
	for _, d := range ds {
		if d.text == want || d.raw != nil && string(d.raw) == want {
			return true
		}
	}
	return false
}

func textsOf(ds []decoded) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.text
	}
	return out
}

// readOursWith decodes each file with the Reader's cascade, reading the
// pixels as stored (as the other decoders do: EXIF orientation is not
// applied, so corners are in the file's own frame). With reps > 0 the time
// is the mean wall time of reps more decodes, loading included; with
// reps == 0 it is the process CPU time of the one decode (what the
// machine's other work does not stretch).
func readOursWith(reps int) decoderFunc { return readOursSteps(reps, allSteps) }

// readOursSteps is readOursWith with only the given optional steps.
func readOursSteps(reps int, steps stepSet) decoderFunc {
	return func(paths []string) (map[string][]decoded, map[string]time.Duration) {
		r := NewReader()
		defer r.Close()
		r.dec.steps = steps
		decode := func(p string) ([]found, time.Duration) {
			t0 := time.Now()
			m := gocv.IMRead(p, gocv.IMReadGrayScale|gocv.IMReadIgnoreOrientation)
			defer m.Close()
			got := r.dec.decodeStill(m)
			return got, time.Since(t0)
		}
		out, times := map[string][]decoded{}, map[string]time.Duration{}
		_, _ = decode(paths[0]) // load the codecs before timing
		for _, p := range paths {
			cpu0 := processCPU()
			got, _ := decode(p)
			times[p] = processCPU() - cpu0
			for _, f := range got {
				d := decoded{text: f.text, raw: f.raw, hasCorners: f.corners != [4]image.Point{}}
				for i, pt := range f.corners {
					d.corners[i] = [2]float64{float64(pt.X), float64(pt.Y)}
				}
				out[p] = append(out[p], d)
			}
			if reps == 0 {
				continue
			}
			var sum time.Duration
			for range reps {
				_, took := decode(p)
				sum += took
			}
			times[p] = sum / time.Duration(reps)
		}
		return out, times
	}
}

// readZXingWasm runs scripts/zxingwasm/decode.mjs once over all files; the
// time is the median of reps reads of each file (at least one).
func readZXingWasm(t *testing.T, reps int) decoderFunc {
	_, file, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(filepath.Dir(file)), "scripts", "zxingwasm", "decode.mjs")
	if _, err := os.Stat(filepath.Join(filepath.Dir(script), "node_modules", "zxing-wasm")); err != nil {
		t.Fatalf("zxing-wasm is not installed: run scripts/compare-decoders.sh (npm ci in scripts/zxingwasm): %v", err)
	}
	return func(paths []string) (map[string][]decoded, map[string]time.Duration) {
		cmd := exec.Command("node", script, "--reps", fmt.Sprint(max(1, reps)))
		cmd.Stdin = strings.NewReader(strings.Join(paths, "\n") + "\n")
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Run(); err != nil {
			t.Fatalf("zxing-wasm: %v: %s", err, errOut.String())
		}
		reads, times := map[string][]decoded{}, map[string]time.Duration{}
		sc := bufio.NewScanner(&out)
		sc.Buffer(nil, 1<<22)
		for sc.Scan() {
			var l struct {
				Path    string          `json:"path"`
				Texts   []string        `json:"texts"`
				Bytes   []string        `json:"bytes"`
				Corners [][4][2]float64 `json:"corners"`
				MS      float64         `json:"ms"`
			}
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				t.Fatalf("zxing-wasm output %q: %v", sc.Text(), err)
			}
			for i, text := range l.Texts {
				d := decoded{text: text}
				if i < len(l.Bytes) {
					if b, err := base64.StdEncoding.DecodeString(l.Bytes[i]); err == nil && string(b) != text {
						d.raw = b
					}
				}
				if i < len(l.Corners) {
					d.corners, d.hasCorners = l.Corners[i], true
				}
				reads[l.Path] = append(reads[l.Path], d)
			}
			times[l.Path] = time.Duration(l.MS * float64(time.Millisecond))
		}
		return reads, times
	}
}

// toolReader runs a Debian decoder on each file. parse returns the codes
// the tool found in its output. With reps > 0 the tool also runs once
// more on reps+1 copies of the file, and the difference over reps is its
// time per image without the process start-up; with reps == 0 the time is
// the one run's, start-up included.
func toolReader(t *testing.T, tool string, flags []string, parse func([]byte) []decoded, reps int) decoderFunc {
	if _, err := exec.LookPath(tool); err != nil {
		t.Fatalf("%s is not installed (Debian: zxing-cpp-tools, zbar-tools): %v", tool, err)
	}
	return func(paths []string) (map[string][]decoded, map[string]time.Duration) {
		reads, times := map[string][]decoded{}, map[string]time.Duration{}
		for _, p := range paths {
			out, once := timeTool(tool, flags, p, 1)
			reads[p] = parse(out)
			times[p] = once
			if reps > 0 {
				_, many := timeTool(tool, flags, p, reps+1)
				times[p] = max(0, (many-once)/time.Duration(reps))
			}
		}
		return reads, times
	}
}

func timeTool(tool string, flags []string, path string, copies int) ([]byte, time.Duration) {
	args := append([]string(nil), flags...)
	for range copies {
		args = append(args, path)
	}
	cmd := exec.Command(tool, args...)
	var out bytes.Buffer
	cmd.Stdout = &out
	t0 := time.Now()
	_ = cmd.Run() // zbarimg exits 4 when it finds nothing
	return out.Bytes(), time.Since(t0)
}

// parseZXingReader picks the codes out of ZXingReader's report:
//
//	Text:       "…"      (may span lines)
//	Bytes:      …
//	…
//	Position:   178x137 448x141 468x399 154x398
func parseZXingReader(out []byte) []decoded {
	var ds []decoded
	s := string(out)
	for {
		i := strings.Index(s, "Text:       \"")
		if i < 0 {
			return ds
		}
		s = s[i+len("Text:       \""):]
		j := strings.Index(s, "\"\nBytes:")
		if j < 0 {
			return ds
		}
		d := decoded{text: s[:j]}
		s = s[j+len("\"\nBytes:"):]
		if e := strings.IndexByte(s, '\n'); e >= 0 {
			if b, err := hex.DecodeString(strings.ReplaceAll(s[:e], " ", "")); err == nil && string(b) != d.text {
				d.raw = b
			}
		}
		if k := strings.Index(s, "Position:   "); k >= 0 && (strings.Index(s, "Text:       \"") < 0 || k < strings.Index(s, "Text:       \"")) {
			line := s[k+len("Position:   "):]
			if e := strings.IndexByte(line, '\n'); e >= 0 {
				line = line[:e]
			}
			if f := strings.Fields(line); len(f) == 4 {
				d.hasCorners = true
				for n, xy := range f {
					x, y, ok := strings.Cut(xy, "x")
					fx, err1 := strconv.ParseFloat(x, 64)
					fy, err2 := strconv.ParseFloat(y, 64)
					if !ok || err1 != nil || err2 != nil {
						d.hasCorners = false
						break
					}
					d.corners[n] = [2]float64{fx, fy}
				}
			}
		}
		ds = append(ds, d)
	}
}

// parseZbarimg: --raw prints each code's text followed by a newline. The
// stress set's texts have no newlines, so each line is one code; on the
// corpus the whole output is compared (see compare_test.go). zbarimg
// gives no corners.
func parseZbarimg(out []byte) []decoded {
	if len(out) == 0 {
		return nil
	}
	var ds []decoded
	for _, l := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
		ds = append(ds, decoded{text: l})
	}
	return ds
}
