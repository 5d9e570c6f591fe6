package camera

import (
	"image"

	"gocv.io/x/gocv"
)

// The cascade, in the order it runs. Each step was kept because it reads
// codes the steps before it miss (measured on shared/testdata/qr with
// `go test -tags stepworth -run TestStepWorth -v ./camera`, see README):
//
//	plain     hybrid binarizer on the frame as it is         158 of 179
//	inverted  the same on the negative (dark-mode screens)     +0 here, needed for phones in dark mode
//	x2-global 2× bilinear upscale, global-histogram binarizer  +9 (small, blurred codes)
//	x2-cubic  2× bicubic upscale, hybrid binarizer             +1
//	clahe     contrast-limited equalisation, try-harder finder +1 (uneven light, glare)
//
// Inside every step, when the finder's first triple of patterns fails to
// decode, every plausible triple is tried (qr.go): +1 on the corpus, and
// about one generated health code in ten depends on it.
//
// Two more retries inside every step are for phones held at an angle
// (keystone), where gozxing's detector assumes too square a code: when the
// finder keeps no triple because the patterns' module sizes differ by more
// than 1.4×, the best triple within 2× is taken (relaxedTriple); and when a
// triple's grid does not decode, every alignment-pattern candidate near the
// expected spot is tried instead of only the first (retryAlignment). Both
// are +0 on the corpus (its photographs are nearly square-on) and free on
// frames that decode at once; on 720p frames they read keystones up to
// 25–30 % where gozxing alone stops at about 15 %, and the one code of the
// 20 in the benchmark video that no step read before.
//
// Tried and dropped because they added nothing once the steps above ran:
// 0.5×/0.75×/1.5×/3× scaling, plain histogram equalisation, Gaussian and
// median blur, Otsu and adaptive thresholds (with and without blur or
// upscale), unsharp masking, morphological open/close, try-harder on the
// plain frame.
const (
	stepPlain    = "plain"
	stepInverted = "inverted"
	stepX2Global = "x2-global"
	stepX2Cubic  = "x2-cubic"
	stepCLAHE    = "clahe"
)

// maxUpscaleSide bounds the 2× steps: in a frame this wide a code is big
// enough to read at its own size, and upscaling a 720p frame costs several
// frames' time (it tripled the 720p scan latency's p95) for no gain on the
// corpus, whose largest images are 1280×960 and 774×1037.
const maxUpscaleSide = 1000

// cascade runs the decoding steps on grey Mats. It owns its scratch Mats and is not
// safe for concurrent use; Close frees them.
type cascade struct {
	qr      *qrReader
	clahe   gocv.CLAHE
	scratch gocv.Mat
	neg     gocv.Mat // the frame's negative, for the inverted step
}

func newCascade() *cascade {
	silenceOpenCV()
	return &cascade{
		qr:      newQRReader(),
		clahe:   gocv.NewCLAHEWithParams(2, image.Pt(8, 8)),
		scratch: gocv.NewMat(),
		neg:     gocv.NewMat(),
	}
}

func (d *cascade) Close() {
	d.clahe.Close()
	d.scratch.Close()
	d.neg.Close()
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
func (d *cascade) decodeAll(gray gocv.Mat, gated bool) []found {
	f, ok := d.decode(gray, gated)
	if !ok {
		return nil
	}
	return []found{f}
}

func (d *cascade) decode(gray gocv.Mat, gated bool) (found, bool) {
	if gray.Empty() || gray.Type() != gocv.MatTypeCV8U {
		return found{}, false
	}
	p, ok := planeOf(gray)
	if !ok {
		return found{}, false
	}
	r, seenPlain, ok := d.qr.read(p, hybrid, false, false)
	if ok {
		return foundOf(r, stepPlain), true
	}
	// The negative is made by OpenCV into a Mat kept between frames: gozxing's
	// own inversion allocated a new frame-sized slice for every frame that
	// shows no code (most frames) and was a fifth of their decoding time.
	gocv.BitwiseNot(gray, &d.neg)
	np, ok := planeOf(d.neg)
	if !ok {
		return found{}, false
	}
	r, seenInv, ok := d.qr.read(np, hybrid, false, false)
	if ok {
		return foundOf(r, stepInverted), true
	}
	if gated && !seenPlain && !seenInv {
		return found{}, false
	}
	// A code seen only in the negative is light-on-dark: keep reading it so.
	inv := seenInv && !seenPlain

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
