//go:build compare

package camera

// The side-by-side comparison behind scripts/compare-decoders.sh: hcscan's
// decoder, zxing-cpp's ZXingReader and zbar's zbarimg on the same corpus in
// the same run, byte-for-byte against the expected texts.
//
// Times are per image, loading included, with process start-up removed:
// each outside tool runs once on the file and once on the file given reps+1
// times, and the difference over reps is its own time per image. hcscan's
// time is the mean of reps decodes of the file in this process.

import (
	"bytes"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"hcscan/internal/benchfig"
)

const compareReps = 8

type decoderRun struct {
	name    string
	matches int
	times   []time.Duration
	missed  []string
}

func TestCompareDecoders(t *testing.T) {
	cases := corpusCases(t)
	ours := runOurs(t, cases)
	zx := runTool(t, cases, "ZXingReader", []string{"-format", "QRCode"}, parseZXingReader)
	zb := runTool(t, cases, "zbarimg", []string{"-q", "--raw", "-Sdisable", "-Sqrcode.enable"}, parseZbarimg)

	fmt.Printf("\n%-22s %-12s %s\n", "decoder", "exact", "median ms/image")
	for _, r := range []decoderRun{ours, zx, zb} {
		fmt.Printf("%-22s %3d of %-5d %.2f\n", r.name, r.matches, len(cases), ms(median(r.times)))
	}
	fmt.Println()
	for _, r := range []decoderRun{ours, zx, zb} {
		fmt.Printf("%s missed: %s\n", r.name, strings.Join(r.missed, " "))
	}
	total := len(cases)
	benchfig.WriteLine("decode_corpus_matches", fmt.Sprintf("%d of %d", ours.matches, total))
	benchfig.Write("decode_corpus_median_ms", ms(median(ours.times)), "ms")
	benchfig.WriteLine("zxingreader_corpus_matches", fmt.Sprintf("%d of %d", zx.matches, total))
	benchfig.Write("zxingreader_corpus_median_ms", ms(median(zx.times)), "ms")
	benchfig.WriteLine("zbarimg_corpus_matches", fmt.Sprintf("%d of %d", zb.matches, total))
	benchfig.Write("zbarimg_corpus_median_ms", ms(median(zb.times)), "ms")

	if ours.matches <= zx.matches || ours.matches <= zb.matches {
		t.Errorf("hcscan reads %d exactly, not more than ZXingReader (%d) and zbarimg (%d)", ours.matches, zx.matches, zb.matches)
	}
}

func runOurs(t *testing.T, cases []corpusCase) decoderRun {
	r := NewReader()
	defer r.Close()
	run := decoderRun{name: "hcscan (gozxing)"}
	_, _ = r.DecodeImageFile(cases[0].path) // load the codecs before timing
	for _, c := range cases {
		s, err := r.DecodeImageFile(c.path)
		if err == nil && slices.Contains(s.Texts(), string(c.want)) {
			run.matches++
		} else {
			run.missed = append(run.missed, c.rel)
		}
		var sum time.Duration
		for range compareReps {
			s, _ := r.DecodeImageFile(c.path)
			sum += s.DecodeTime
		}
		run.times = append(run.times, sum/compareReps)
	}
	return run
}

// runTool runs an outside decoder on each image. parse returns the texts
// the tool found in its output.
func runTool(t *testing.T, cases []corpusCase, tool string, flags []string, parse func([]byte) []string) decoderRun {
	if _, err := exec.LookPath(tool); err != nil {
		t.Fatalf("%s is not installed (Debian: zxing-cpp-tools, zbar-tools): %v", tool, err)
	}
	run := decoderRun{name: tool}
	for _, c := range cases {
		out, once := timeTool(tool, flags, c.path, 1)
		texts := parse(out)
		if len(texts) == 1 && texts[0] == string(c.want) {
			run.matches++
		} else {
			run.missed = append(run.missed, c.rel)
		}
		_, many := timeTool(tool, flags, c.path, compareReps+1)
		run.times = append(run.times, max(0, (many-once)/compareReps))
	}
	return run
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

// parseZbarimg: --raw prints each code's text followed by a newline.
func parseZbarimg(out []byte) []string {
	if len(out) == 0 {
		return nil
	}
	// Two codes print two texts one after the other, which then match no
	// single expected text: the README's rule for qrcode-2/16.
	return []string{strings.TrimSuffix(string(out), "\n")}
}
