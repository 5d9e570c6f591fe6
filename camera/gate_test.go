//go:build compare

package camera

// The gate video measurement: the generated 1280×720 queue of people
// (stressset.WriteGateVideo) decoded as the scanner decodes a live camera
// on one core, beside zxing-cpp 2 given one sharp still per person.
//
// One core, in CPU time: every frame is read and turned grey (the camera's
// reader does that for every frame), and the decoder takes the newest frame
// each time it is free, as Camera's loops do. Time is the process's CPU
// time, not the wall clock, so other work on the machine does not decide
// which frames are dropped: reading takes a share of the core, and a
// decode of d ms of CPU lasts d over what is left of it.

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"hcscan/camera/stressset"
	"hcscan/internal/benchfig"
)

// gateVideo writes the gate video once into a folder kept between runs
// ($HCSCAN_GATE_VIDEO, else one in the temporary directory named by its
// version, seed and people): it takes minutes to render.
func gateVideo(t *testing.T) (string, stressset.GateVideo) {
	dir := os.Getenv("HCSCAN_GATE_VIDEO")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), fmt.Sprintf("hcscan-gate-v%d-%d-%d", stressset.GateVersion, stressset.DefaultSeed, stressset.GatePeople))
	}
	var gv stressset.GateVideo
	if b, err := os.ReadFile(filepath.Join(dir, stressset.GateManifestName)); err == nil && json.Unmarshal(b, &gv) == nil {
		return dir, gv
	}
	t.Logf("rendering the gate video into %s (minutes)", dir)
	gv, err := stressset.WriteGateVideo(dir, stressset.DefaultSeed, stressset.GatePeople)
	if err != nil {
		t.Fatal(err)
	}
	return dir, gv
}

// gateRun is what one decoding of the gate video read.
type gateRun struct {
	people, texts int      // people whose code was read while shown; distinct texts read
	falseTexts    []string // texts read that no one showed
	decoded       int      // frames decoded
	readPeople    []int    // which people
	readCPU       time.Duration
	decodeCPU     []time.Duration
}

func TestGateVideo(t *testing.T) {
	dir, gv := gateVideo(t)
	shown := map[string]bool{}
	for _, p := range gv.People {
		shown[p.Text] = true
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))

	live := decodeGate(t, dir, gv, true, allSteps)

	var stills []string
	for _, p := range gv.People {
		stills = append(stills, filepath.Join(dir, p.Still))
	}
	zx, _ := readZXingWasm(t, 1)(stills)
	zr, _ := toolReader(t, "ZXingReader", []string{"-format", "QRCode"}, parseZXingReader, 0)(stills)
	ours, _ := readOursWith(0)(stills)
	stillScore := func(reads map[string][]decoded) (int, int) {
		people, texts := 0, map[string]bool{}
		for i, p := range gv.People {
			if readsText(reads[stills[i]], p.Text) {
				people++
				texts[p.Text] = true
			}
		}
		return people, len(texts)
	}

	fmt.Printf("\ngate video: %d frames (%.0f s at %.0f fps, %dx%d), %d people, %d distinct texts\n",
		gv.Frames, float64(gv.Frames)/gv.FPS, gv.FPS, gv.Width, gv.Height, len(gv.People), len(shown))
	sort.Slice(live.decodeCPU, func(i, j int) bool { return live.decodeCPU[i] < live.decodeCPU[j] })
	d := live.decodeCPU
	p95 := d[len(d)*95/100]
	fmt.Printf("%-28s %2d people, %2d texts, %d false; %d frames decoded, CPU per frame: read %.1f ms, decode median %.1f ms, p95 %.1f ms\n",
		"hcscan, live on one core", live.people, live.texts, len(live.falseTexts), live.decoded,
		ms(live.readCPU)/float64(gv.Frames), ms(d[len(d)/2]), ms(p95))
	if len(live.falseTexts) > 0 {
		t.Errorf("texts no one showed: %q", live.falseTexts)
	}
	for _, s := range []struct {
		name  string
		reads map[string][]decoded
	}{{"hcscan, one still a person", ours}, {"zxing-cpp 2, one still a person", zx}, {"ZXingReader, one still a person", zr}} {
		p, n := stillScore(s.reads)
		fmt.Printf("%-28s %2d people, %2d texts\n", s.name, p, n)
	}
	kinds := map[string][4]int{} // people, read live, zxing-cpp 2 still, hcscan still
	for i, p := range gv.People {
		k := kinds[p.Kind]
		k[0]++
		if slices.Contains(live.readPeople, i) {
			k[1]++
		}
		if readsText(zx[stills[i]], p.Text) {
			k[2]++
		}
		if readsText(ours[stills[i]], p.Text) {
			k[3]++
		}
		kinds[p.Kind] = k
	}
	fmt.Printf("by kind (people: hcscan live / zxing-cpp 2 still / hcscan still):")
	for _, k := range []string{"phone", "dark-phone", "paper", "far"} {
		v := kinds[k]
		fmt.Printf("  %s %d: %d/%d/%d", k, v[0], v[1], v[2], v[3])
	}
	fmt.Println()
	var notLive []string
	for i, p := range gv.People {
		if !slices.Contains(live.readPeople, i) {
			notLive = append(notLive, fmt.Sprintf("%d(%s,%dpx)", i, p.Kind, p.Side))
		}
	}
	fmt.Printf("not read live: %s\n", strings.Join(notLive, " "))
	var missed []string
	for i, p := range gv.People {
		if readsText(zx[stills[i]], p.Text) && !slices.Contains(live.readPeople, i) {
			missed = append(missed, fmt.Sprintf("%d(%s,%dpx)", i, p.Kind, p.Side))
		}
	}
	fmt.Printf("zxing-cpp 2 reads the still, hcscan live does not: %s\n", strings.Join(missed, " "))
	_, zxTexts := stillScore(zx)
	benchfig.WriteLine("gate_video_texts", fmt.Sprintf("%d of %d", live.texts, len(shown)))
	benchfig.WriteLine("zxingcpp2_gate_video_texts", fmt.Sprintf("%d of %d", zxTexts, len(shown)))
	benchfig.Write("gate_video_decode_p95_ms", ms(p95), "ms")
}

// decodeGate reads every frame of the gate video and decodes them as
// live frames: all of them, or (live) as one core keeps up in real time.
func decodeGate(t *testing.T, dir string, gv stressset.GateVideo, live bool, steps stepSet) gateRun {
	fs, err := openSource(Source{Kind: VideoFile, Path: filepath.Join(dir, gv.Video)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fs.close()
	dec := newCascade()
	defer dec.Close()
	dec.steps = steps
	bgr, gray := gocv.NewMat(), gocv.NewMat()
	defer bgr.Close()
	defer gray.Close()
	shown := map[string]bool{}
	for _, p := range gv.People {
		shown[p.Text] = true
	}
	period := time.Duration(float64(time.Second) / gv.FPS)
	var run gateRun
	texts, people := map[string]bool{}, map[int]bool{}
	var free time.Duration // when the decoder is next free, on the video's clock
	for i := 0; ; i++ {
		c0 := processCPU()
		if _, err := fs.read(&bgr); err != nil {
			break
		}
		toGray(bgr, &gray)
		run.readCPU += processCPU() - c0
		arrive := time.Duration(i) * period
		if live && free >= arrive+period {
			continue // a newer frame is there by the time the decoder is free
		}
		c1 := processCPU()
		got := dec.decodeStream(gray)
		took := processCPU() - c1
		run.decodeCPU = append(run.decodeCPU, took)
		run.decoded++
		if live {
			// Reading every frame takes its share of the one core.
			left := max(0.1, 1-float64(run.readCPU)/float64(i+1)/float64(period))
			free = max(free, arrive) + time.Duration(float64(took)/left)
		}
		for _, g := range got {
			if !shown[g.text] {
				if !slices.Contains(run.falseTexts, g.text) {
					run.falseTexts = append(run.falseTexts, g.text)
				}
				continue
			}
			texts[g.text] = true
			for k, p := range gv.People {
				if p.Text == g.text && i >= p.First && i <= p.Last {
					people[k] = true
				}
			}
		}
	}
	run.texts, run.people = len(texts), len(people)
	for k := range people {
		run.readPeople = append(run.readPeople, k)
	}
	return run
}
