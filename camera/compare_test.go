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
	"fmt"
	"path/filepath"
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
		read        decoderFunc
		wholeOutput bool // zbarimg: several codes' texts run together
	}{
		{"hcscan (gozxing + regions)", "decode", readOursWith(compareReps), false},
		{"zxing-cpp 2 (zxing-wasm)", "zxingcpp2", readZXingWasm(t, compareReps), false},
		{"ZXingReader (zxing-cpp 1.4)", "zxingreader", toolReader(t, "ZXingReader", []string{"-format", "QRCode"}, parseZXingReader, compareReps), false},
		{"zbarimg (zbar 0.23)", "zbarimg", toolReader(t, "zbarimg", []string{"-q", "--raw", "-Sdisable", "-Sqrcode.enable"}, parseZbarimg, compareReps), true},
	}
	var corpusRuns, stressRuns []decoderRun
	for _, d := range decoders {
		reads, times := d.read(corpusPaths)
		run := decoderRun{name: d.name, bench: d.bench, of: len(cases)}
		for _, c := range cases {
			got := textsOf(reads[c.path])
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

		reads, times = d.read(stressPaths)
		s := scoreStress(dir, imgs, func(path string) ([]string, time.Duration) { return textsOf(reads[path]), times[path] })
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
