package camera

import (
	"image"
	"sort"

	"gocv.io/x/gocv"
)

// How a frame is decoded (decodeAll), in the order the steps run. Each was
// kept because it reads codes the others miss, measured on the shared
// corpus of real photographs and on the generated stress set
// (`go test -tags stepworth -run 'TestStepWorth|TestRegionWorth' -v ./camera`,
// figures in the README):
//
//	plain     gozxing (hybrid binarizer) on the whole frame: most frames
//	          with one clear code end here, and it costs one binarization.
//	regions   the finder-pattern detector (finders.go) finds every code's
//	          three corner patterns, at any size and polarity, and each
//	          region not already read is cropped, scaled to a few pixels a
//	          module and decoded under three binarizations (regions.go).
//	          Without it: corpus +0, stress set 36 of 118 instead of 97
//	          (light-on-dark, low contrast, dotted, keystoned, screens,
//	          several codes a picture).
//	x2-global, x2-cubic, clahe
//	          whole-frame 2× upscales and contrast equalisation, only when
//	          nothing was read: corpus +3 (small blurred codes in 240×240
//	          frames), stress set +2 (tiny codes).
//
// The whole frame's negative (for dark-mode screens) was a step of its own
// before the region detector; with regions it reads nothing more on either
// set (+0 and +0) and cost a second binarization of every frame, so it went.
//
// Inside gozxing's reading, when the finder's first triple of patterns fails
// to decode, every plausible triple is tried (qr.go): about one generated
// health code in ten depends on it. For phones held at an angle, where
// gozxing's detector assumes too square a code, the best triple within 2×
// module sizes is taken when gozxing keeps none (relaxedTriple), and every
// alignment-pattern candidate near the expected spot is tried
// (retryAlignment).
//
// Tried and dropped earlier because they added nothing: 0.5×/0.75×/1.5×/3×
// whole-frame scaling, histogram equalisation, Gaussian and median blur,
// whole-frame Otsu and adaptive thresholds, unsharp masking, morphological
// open/close, try-harder on the plain frame.
const (
	stepPlain    = "plain"
	stepX2Global = "x2-global"
	stepX2Cubic  = "x2-cubic"
	stepCLAHE    = "clahe"
)

// maxUpscaleSide bounds the 2× steps: in a frame this wide a code is big
// enough to read at its own size, and upscaling a 720p frame costs several
// frames' time (it tripled the 720p scan latency's p95) for no gain on the
// corpus, whose largest images are 1280×960 and 774×1037.
const maxUpscaleSide = 1000

// regionLiveTries bounds the regions decoded in one live frame.
const regionLiveTries = 6

// cascade runs the decoding steps on grey Mats. It owns its scratch Mats and is not
// safe for concurrent use; Close frees them.
type cascade struct {
	qr      *qrReader
	clahe   gocv.CLAHE
	scratch gocv.Mat
	fs      finderScratch
	rs      regionScratch
	// steps are the optional steps that run (all but in measurements).
	steps stepSet
}

// stepSet switches optional steps on, so that each one's worth can be measured.
type stepSet uint

const (
	useRegions   stepSet = 1 << iota // the region detector and region decoding
	useCostly                        // whole-frame upscaling and equalising
	useLocalGrid                     // codes of version 7 and up sampled cell by cell
	useZoom                          // small patterns looked at again enlarged
	usePairs                         // stills: two patterns whose third was not seen
	useFourth                        // small codes: places around the fourth corner tried
	allSteps     = useRegions | useCostly | useLocalGrid | useZoom | usePairs | useFourth
)

func newCascade() *cascade {
	silenceOpenCV()
	return &cascade{
		qr:      newQRReader(),
		clahe:   gocv.NewCLAHEWithParams(2, image.Pt(8, 8)),
		scratch: gocv.NewMat(),
		fs:      newFinderScratch(),
		rs:      newRegionScratch(),
		steps:   allSteps,
	}
}

func (d *cascade) Close() {
	d.clahe.Close()
	d.scratch.Close()
	d.fs.close()
	d.rs.close()
}

// found is one code read from a frame, in the frame's coordinates.
type found struct {
	text    string
	raw     []byte
	corners [4]image.Point
	step    string
}

func (f found) code() Code {
	return Code{Text: f.text, Raw: f.raw, Corners: f.corners, Step: f.step}
}

func foundOf(r qrResult, step string) found {
	return found{text: r.text, raw: r.raw, corners: r.corners, step: step}
}

// decodeStill runs every step until one reads a code: for photographs and
// `hcscan decode`, where finding the code matters more than time.
func (d *cascade) decodeStill(gray gocv.Mat) []found {
	return d.decodeAll(gray, false)
}

// decodeStream is for live frames, most of which show no code: the cheap
// steps always run, the costly ones only when finder patterns were seen.
func (d *cascade) decodeStream(gray gocv.Mat) []found {
	return d.decodeAll(gray, true)
}

// decodeAll reads every code it can find in the frame, in reading order.
// gated (live frames, most of which show nothing) runs the costly
// whole-frame steps only where gozxing saw three patterns or the detector
// a code's corner triangle (clutter alone gives stray patterns), and a
// frame whose code plain read looks for more codes only from the
// detector's second level (codes of a similar size) on.
func (d *cascade) decodeAll(gray gocv.Mat, gated bool) []found {
	if gray.Empty() || gray.Type() != gocv.MatTypeCV8U {
		return nil
	}
	p, ok := planeOf(gray)
	if !ok {
		return nil
	}
	d.qr.localGrid = d.steps&useLocalGrid != 0
	d.qr.fourth = d.steps&useFourth != 0
	var out []found
	r, seen, ok := d.qr.read(p, hybrid, false, false)
	if ok {
		out = append(out, foundOf(r, stepPlain))
	}
	dark, light := 0, 0 // patterns the detector saw, by polarity
	triples := 0        // regions the detector saw
	if d.steps&useRegions != 0 {
		first := 0
		if gated && ok {
			first = 1
		}
		fs := d.fs.findFinders(gray, first, !gated)
		for _, f := range fs {
			if f.dark {
				dark++
			} else {
				light++
			}
		}
		tries := len(fs) + 4
		if gated {
			tries = regionLiveTries
		}
		var used []bool
		out, used, triples = d.decodeCandidates(gray, fs, out, tries)
		// Patterns too small to read at the frame's scale, left over: look
		// again at them enlarged, where the rest of their code's patterns
		// can be seen too.
		var zoomed []finder
		if d.steps&useZoom != 0 {
			zoomed = d.zoomFinders(gray, fs, used, gated)
		}
		if len(zoomed) > 0 {
			var n int
			out, _, n = d.decodeCandidates(gray, zoomed, out, len(zoomed)+4)
			triples += n
		}
		if !gated && d.steps&usePairs != 0 {
			out = d.decodePairs(gray, fs, used, out)
		}
	}
	if len(out) == 0 && d.steps&useCostly != 0 && (!gated || seen || triples > 0) {
		// Patterns seen only light-on-dark: read the frame so.
		if f, ok := d.wholeCostly(gray, p, light >= 3 && dark < 3); ok {
			out = append(out, f)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return before(out[i], out[j]) })
	return out
}

// wholeCostly runs the upscaling and equalising steps on the whole frame.
func (d *cascade) wholeCostly(gray gocv.Mat, p plane, inv bool) (found, bool) {
	if max(p.w, p.h) <= maxUpscaleSide {
		gocv.Resize(gray, &d.scratch, image.Point{}, 2, 2, gocv.InterpolationLinear)
		if f, ok := d.readScratch(global, false, inv, 2, stepX2Global); ok {
			return f, true
		}
		gocv.Resize(gray, &d.scratch, image.Point{}, 2, 2, gocv.InterpolationCubic)
		if f, ok := d.readScratch(hybrid, false, inv, 2, stepX2Cubic); ok {
			return f, true
		}
	}
	d.clahe.Apply(gray, &d.scratch)
	return d.readScratch(hybrid, true, inv, 1, stepCLAHE)
}

// before orders codes for reading: by rows of the top-left corner, then
// left to right within a row (codes whose tops are within half a code's
// height are one row).
func before(a, b found) bool {
	ay, by := a.corners[0].Y, b.corners[0].Y
	h := max(abs(a.corners[3].Y-a.corners[0].Y), abs(b.corners[3].Y-b.corners[0].Y))
	if abs(ay-by) > h/2 {
		return ay < by
	}
	return a.corners[0].X < b.corners[0].X
}

// readScratch reads the scratch Mat, which holds the frame scaled by scale.
func (d *cascade) readScratch(bin binarizerKind, hard, inv bool, scale int, step string) (found, bool) {
	p, ok := planeOf(d.scratch)
	if !ok {
		return found{}, false
	}
	r, _, ok := d.qr.read(p, bin, hard, inv)
	if !ok {
		return found{}, false
	}
	for i := range r.corners {
		r.corners[i] = r.corners[i].Div(scale)
	}
	return foundOf(r, step), true
}

// planeOf views a continuous 8-bit single-channel Mat's pixels without
// copying. The plane is valid only while the Mat is open and unchanged.
func planeOf(m gocv.Mat) (plane, bool) {
	if m.Empty() || m.Channels() != 1 || !m.IsContinuous() {
		return plane{}, false
	}
	pix, err := m.DataPtrUint8()
	if err != nil {
		return plane{}, false
	}
	return plane{pix: pix, w: m.Cols(), h: m.Rows()}, true
}
