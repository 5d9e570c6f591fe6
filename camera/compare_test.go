//go:build compare

package camera

// The side-by-side comparison behind scripts/compare-decoders.sh: hcscan's
// decoder, zxing-cpp 2 (the zxing-wasm package under Node, installed by
// the script for measuring only), Debian's zxing-cpp 1.4 (ZXingReader) and
// zbar (zbarimg) on the shared corpus and on the generated stress set, in
// the same run, byte for byte against the expected texts.
//
// A corpus image counts when its expected text is among the texts a
// decoder returns (qrcode-2/16 holds a second, inner code); zbarimg prints
// the texts of several codes one after the other, so its whole output must
// be the text. On the stress set every code counts, and a text that is not
// in the picture is a false read.
//
// Times are per image, loading included, with process start-up removed:
// each Debian tool runs once on the file and once on the file given reps+1
// times, and the difference over reps is its own time per image; zxing-wasm
// reports the median of reps reads of each file's bytes in one Node
// process; hcscan's time is the mean of reps decodes in this process.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"hcscan/internal/benchfig"
)

const compareReps = 4

type decoderRun struct {
	name     string
	bench    string // prefix of its bench figures
	matches  int
	of       int
	false    int
	times    []time.Duration
	missed   []string
	perImage map[string][]string // texts read, by path
}

func TestCompareDecoders(t *testing.T) {
	cases := corpusCases(t)
	dir, imgs := stressSet(t)
	var corpusPaths, stressPaths []string
	for _, c := range cases {
		corpusPaths = append(corpusPaths, c.path)
	}
	for _, im := range imgs {
		stressPaths = append(stressPaths, filepath.Join(dir, im.File))
	}
	decoders := []struct {
		name, bench string
		read        func([]string) (map[string][]string, map[string]time.Duration)
		wholeOutput bool // zbarimg: several codes' texts run together
	}{
		{"hcscan (gozxing + regions)", "decode", readOurs, false},
		{"zxing-cpp 2 (zxing-wasm)", "zxingcpp2", readZXingWasm(t), false},
		{"ZXingReader (zxing-cpp 1.4)", "zxingreader", toolReader(t, "ZXingReader", []string{"-format", "QRCode"}, parseZXingReader), false},
		{"zbarimg (zbar 0.23)", "zbarimg", toolReader(t, "zbarimg", []string{"-q", "--raw", "-Sdisable", "-Sqrcode.enable"}, parseZbarimg), true},
	}
	var corpusRuns, stressRuns []decoderRun
	for _, d := range decoders {
		texts, times := d.read(corpusPaths)
		run := decoderRun{name: d.name, bench: d.bench, of: len(cases)}
		for _, c := range cases {
			got := texts[c.path]
			ok := slices.Contains(got, string(c.want))
			if d.wholeOutput {
				ok = strings.Join(got, "\n") == string(c.want)
			}
			if ok {
				run.matches++
			} else {
				run.missed = append(run.missed, c.rel)
			}
			run.times = append(run.times, times[c.path])
		}
		corpusRuns = append(corpusRuns, run)

		texts, times = d.read(stressPaths)
		s := scoreStress(dir, imgs, func(path string) ([]string, time.Duration) { return texts[path], times[path] })
		stressRuns = append(stressRuns, decoderRun{name: d.name, bench: d.bench, matches: s.matches, of: s.codes, false: s.falseReads, times: s.times, missed: []string{s.String()}})
	}

	for _, set := range []struct {
		title string
		key   string
		runs  []decoderRun
	}{{"shared corpus (" + fmt.Sprint(len(cases)) + " photographs)", "corpus", corpusRuns}, {"generated stress set (" + fmt.Sprint(len(imgs)) + " pictures)", "stress", stressRuns}} {
		fmt.Printf("\n%s\n%-30s %-14s %-12s %s\n", set.title, "decoder", "exact", "false reads", "median ms/image")
		for _, r := range set.runs {
			fmt.Printf("%-30s %3d of %-7d %-12d %.2f\n", r.name, r.matches, r.of, r.false, ms(median(r.times)))
			benchfig.WriteLine(r.bench+"_"+set.key+"_matches", fmt.Sprintf("%d of %d", r.matches, r.of))
			benchfig.Write(r.bench+"_"+set.key+"_median_ms", ms(median(r.times)), "ms")
			if set.key == "stress" {
				benchfig.Write(r.bench+"_stress_false_reads", float64(r.false), "texts")
			}
		}
		fmt.Println()
		label := "missed"
		if set.key == "stress" {
			label = "read by kind"
		}
		for _, r := range set.runs {
			fmt.Printf("%s %s: %s\n", r.name, label, strings.Join(r.missed, " "))
		}
	}
	ours, zx2 := stressRuns[0], stressRuns[1]
	if ours.false > 0 {
		t.Errorf("hcscan made %d false reads on the stress set", ours.false)
	}
	if corpusRuns[0].matches < corpusRuns[1].matches || ours.matches < zx2.matches {
		t.Errorf("hcscan reads fewer than zxing-cpp 2: corpus %d vs %d, stress %d vs %d", corpusRuns[0].matches, corpusRuns[1].matches, ours.matches, zx2.matches)
	}
}

// readOurs decodes each file with the Reader: texts and mean time of reps.
func readOurs(paths []string) (map[string][]string, map[string]time.Duration) {
	r := NewReader()
	defer r.Close()
	texts, times := map[string][]string{}, map[string]time.Duration{}
	_, _ = r.DecodeImageFile(paths[0]) // load the codecs before timing
	for _, p := range paths {
		s, _ := r.DecodeImageFile(p)
		texts[p] = s.Texts()
		var sum time.Duration
		for range compareReps {
			s, _ := r.DecodeImageFile(p)
			sum += s.DecodeTime
		}
		times[p] = sum / compareReps
	}
	return texts, times
}

// readZXingWasm runs scripts/zxingwasm/decode.mjs once over all files.
func readZXingWasm(t *testing.T) func([]string) (map[string][]string, map[string]time.Duration) {
	_, file, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(filepath.Dir(file)), "scripts", "zxingwasm", "decode.mjs")
	if _, err := os.Stat(filepath.Join(filepath.Dir(script), "node_modules", "zxing-wasm")); err != nil {
		t.Fatalf("zxing-wasm is not installed: run scripts/compare-decoders.sh (npm ci in scripts/zxingwasm): %v", err)
	}
	return func(paths []string) (map[string][]string, map[string]time.Duration) {
		cmd := exec.Command("node", script, "--reps", fmt.Sprint(compareReps))
		cmd.Stdin = strings.NewReader(strings.Join(paths, "\n") + "\n")
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Run(); err != nil {
			t.Fatalf("zxing-wasm: %v: %s", err, errOut.String())
		}
		texts, times := map[string][]string{}, map[string]time.Duration{}
		sc := bufio.NewScanner(&out)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var l struct {
				Path  string   `json:"path"`
				Texts []string `json:"texts"`
				MS    float64  `json:"ms"`
			}
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				t.Fatalf("zxing-wasm output %q: %v", sc.Text(), err)
			}
			texts[l.Path] = l.Texts
			times[l.Path] = time.Duration(l.MS * float64(time.Millisecond))
		}
		return texts, times
	}
}

// toolReader runs a Debian decoder on each file. parse returns the texts
// the tool found in its output.
func toolReader(t *testing.T, tool string, flags []string, parse func([]byte) []string) func([]string) (map[string][]string, map[string]time.Duration) {
	if _, err := exec.LookPath(tool); err != nil {
		t.Fatalf("%s is not installed (Debian: zxing-cpp-tools, zbar-tools): %v", tool, err)
	}
	return func(paths []string) (map[string][]string, map[string]time.Duration) {
		texts, times := map[string][]string{}, map[string]time.Duration{}
		for _, p := range paths {
			out, once := timeTool(tool, flags, p, 1)
			texts[p] = parse(out)
			_, many := timeTool(tool, flags, p, compareReps+1)
			times[p] = max(0, (many-once)/compareReps)
		}
		return texts, times
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

// parseZXingReader picks the Text fields out of ZXingReader's report:
//
//	Text:       "…"      (may span lines)
//	Bytes:      …
func parseZXingReader(out []byte) []string {
	var texts []string
	s := string(out)
	for {
		i := strings.Index(s, "Text:       \"")
		if i < 0 {
			return texts
		}
		s = s[i+len("Text:       \""):]
		j := strings.Index(s, "\"\nBytes:")
		if j < 0 {
			return texts
		}
		texts = append(texts, s[:j])
		s = s[j:]
	}
}

// parseZbarimg: --raw prints each code's text followed by a newline. The
// stress set's texts have no newlines, so each line is one code; on the
// corpus the whole output is compared (see above).
func parseZbarimg(out []byte) []string {
	if len(out) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
}
