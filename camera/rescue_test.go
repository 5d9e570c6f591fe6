package camera

import (
	"image"
	"image/color"
	"testing"

	"gocv.io/x/gocv"
)

// countReads decodes a still under the given steps and counts the codes
// read whose text is want.
func countReads(grey gocv.Mat, steps stepSet, want string) int {
	d := newCascade()
	defer d.Close()
	d.steps = steps
	n := 0
	for _, f := range d.decodeStill(grey) {
		if f.text == want {
			n++
		}
	}
	return n
}

// TestFourthCornerSearch: a version 2 code (no alignment pattern) held
// at 27 sizes, keystones and turns. Its fourth corner is extrapolated from
// the finder patterns and lands up to a module or more off under the
// keystone; trying the places around it reads codes that one grid through
// the parallelogram's corner does not.
func TestFourthCornerSearch(t *testing.T) {
	const text = "HC-GATE-0042-0043" // version 2 at level M
	with, without, placed := 0, 0, 0
	for _, size := range []float64{70, 100, 140} {
		for _, tilt := range []float64{0.2, 0.3, 0.4} {
			for _, rot := range []float64{0, 15, 35} {
				frame := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(200, 200, 200, 0), 360, 480, gocv.MatTypeCV8UC3)
				code := qrMat(t, text)
				placeCodeAt(&frame, code, 240, 180, size, rot, tilt)
				code.Close()
				gocv.GaussianBlur(frame, &frame, image.Pt(0, 0), 0.7, 0.7, gocv.BorderDefault)
				grey := gocv.NewMat()
				toGray(frame, &grey)
				frame.Close()
				with += min(1, countReads(grey, allSteps, text))
				without += min(1, countReads(grey, allSteps&^useFourth, text))
				grey.Close()
				placed++
			}
		}
	}
	t.Logf("fourth-corner search: %d of %d read, %d without it", with, placed, without)
	if with < 24 {
		t.Errorf("read %d of %d keystoned small codes, want at least 24", with, placed)
	}
	if without > with-5 {
		t.Errorf("without the fourth-corner search %d of %d read (with it %d): the pictures do not test it", without, placed, with)
	}
}

// TestPairsReadAgain: two issued codes side by side, the second with a
// speck of dirt bridging the light ring of its bottom-left finder
// pattern, at three sizes and four turns. The detector, which needs the
// pattern's closed rings, sees two of that code's patterns; the first
// code is read, so the whole-frame steps do not run; reading the area
// around the pair with gozxing's finder (which scans rows for the
// pattern's runs) reads the second code.
func TestPairsReadAgain(t *testing.T) {
	texts := issuedCodes(t, 2)
	with, without, placed := 0, 0, 0
	for _, size := range []float64{150, 200, 260} {
		for _, rot := range []float64{0, 5, 10, 20} {
			frame := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(200, 200, 200, 0), 480, 640, gocv.MatTypeCV8UC3)
			for i, text := range texts {
				code := qrMat(t, text)
				if i == 1 {
					n := code.Cols()/4 - 8 // modules (qrMat: 4 px each, quiet zone 4)
					x, y := 4+1, 4+n-7+2
					gocv.Rectangle(&code, image.Rect(x*4, y*4, x*4+4, y*4+4), color.RGBA{0, 0, 0, 0}, -1)
				}
				placeCodeAt(&frame, code, 170+float64(i)*300, 240, size, rot, 0.05)
				code.Close()
			}
			gocv.GaussianBlur(frame, &frame, image.Pt(0, 0), 0.7, 0.7, gocv.BorderDefault)
			grey := gocv.NewMat()
			toGray(frame, &grey)
			frame.Close()
			if n := countReads(grey, allSteps, texts[0]); n != 1 {
				t.Errorf("size %.0f, turned %.0f°: the clean code read %d times", size, rot, n)
			}
			with += min(1, countReads(grey, allSteps, texts[1]))
			without += min(1, countReads(grey, allSteps&^usePairs, texts[1]))
			grey.Close()
			placed++
		}
	}
	t.Logf("pairs: %d of %d bridged codes read, %d without", with, placed, without)
	if with < 8 {
		t.Errorf("read %d of %d codes with a bridged finder pattern, want at least 8", with, placed)
	}
	if without > with-4 {
		t.Errorf("without reading pairs again %d of %d read (with it %d): the pictures do not test it", without, placed, with)
	}
}
