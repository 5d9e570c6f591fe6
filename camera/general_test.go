package camera

import (
	"image"
	"image/color"
	"math/rand"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"gocv.io/x/gocv"

	"hcscan/camera/stressset"
)

// bentCode is an issued health code (version 10) printed on a label round
// a bottle: wrapped on a vertical cylinder seen from nearby, squeezed and
// darker towards its sides, its top and bottom edges bowed. No single
// perspective transform fits it.
func bentCode(tb testing.TB, text string, half, near float64) gocv.Mat {
	tb.Helper()
	card := qrMat(tb, text)
	defer card.Close()
	return stressset.Cylinder(card, half, near, color.RGBA{255, 255, 255, 0})
}

// TestBentLabelReadCellByCell: an issued code on a bottle's label reads,
// and only because its cells are sampled between its alignment patterns
// (with one transform for the whole code it does not).
func TestBentLabelReadCellByCell(t *testing.T) {
	text := issuedCodes(t, 1)[0]
	code := bentCode(t, text, 0.7, 0.3)
	defer code.Close()
	frame := background(1000, 800)
	defer frame.Close()
	placeCodeAt(&frame, code, 500, 400, 480, 4, 0)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	gocv.SetRNGSeed(1)
	degrade(&frame, shot{frames: 1}, 0, rand.New(rand.NewSource(11)))
	grey := gocv.NewMat()
	defer grey.Close()
	toGray(frame, &grey)

	for _, c := range []struct {
		steps stepSet
		want  bool
	}{{allSteps, true}, {allSteps &^ useLocalGrid, false}} {
		d := newCascade()
		d.steps = c.steps
		got := d.decodeStill(grey)
		d.Close()
		read := slices.ContainsFunc(got, func(f found) bool { return f.text == text })
		if read != c.want {
			t.Errorf("local grid %v: read %v (%d codes), want %v", c.steps&useLocalGrid != 0, read, len(got), c.want)
		}
	}
}

// TestSameTextInSixPlaces: a sheet of six labels with the same code gives
// six codes, each where its label is.
func TestSameTextInSixPlaces(t *testing.T) {
	code := qrMat(t, "GATE-007")
	defer code.Close()
	n := code.Cols()
	sheet := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(255, 0, 0, 0), 2*n+60, 3*n+80, gocv.MatTypeCV8UC1)
	defer sheet.Close()
	var centres []image.Point
	for i := range 6 {
		x, y := 20+(i%3)*(n+20), 20+(i/3)*(n+20)
		roi := sheet.Region(image.Rect(x, y, x+n, y+n))
		code.CopyTo(&roi)
		roi.Close()
		centres = append(centres, image.Pt(x+n/2, y+n/2))
	}
	path := filepath.Join(t.TempDir(), "labels.png")
	if !gocv.IMWrite(path, sheet) {
		t.Fatal("write sheet")
	}
	r := NewReader()
	defer r.Close()
	s, err := r.DecodeImageFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Codes) != 6 {
		t.Fatalf("read %d codes, want the six labels", len(s.Codes))
	}
	for _, c := range centres {
		if !slices.ContainsFunc(s.Codes, func(k Code) bool { return k.Text == "GATE-007" && quadContains(k.Corners, c.X, c.Y) }) {
			t.Errorf("no code read around the label at %v", c)
		}
	}
}

// TestSmallCodesLookedAtAgain: two version 3 codes of about 2 px a module,
// turned and softened, on a card in a 550×308 photograph: the detector at
// the photo's own scale sees too few of their patterns to pair them, and
// enlarging only the areas around the ones it saw reads both.
func TestSmallCodesLookedAtAgain(t *testing.T) {
	texts := []string{"https://hc.example.cn/door/0042", "https://hc.example.cn/door/0043"}
	// OpenCV's noise comes from a generator per thread: seed this one.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	gocv.SetRNGSeed(1)
	frame := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(40, 35, 35, 0), 308, 550, gocv.MatTypeCV8UC3)
	defer frame.Close()
	for i, text := range texts {
		code := qrMat(t, text)
		placeCodeAt(&frame, code, 190+float64(i)*150, 150, 82, 32, 0.05)
		code.Close()
	}
	gocv.GaussianBlur(frame, &frame, image.Pt(0, 0), 0.9, 0.9, gocv.BorderDefault)
	degrade(&frame, shot{frames: 1}, 0, rand.New(rand.NewSource(4)))
	grey := gocv.NewMat()
	defer grey.Close()
	toGray(frame, &grey)

	count := func(steps stepSet) int {
		d := newCascade()
		defer d.Close()
		d.steps = steps
		n := 0
		for _, f := range d.decodeStill(grey) {
			if slices.Contains(texts, f.text) {
				n++
			}
		}
		return n
	}
	if n := count(allSteps); n != 2 {
		t.Errorf("read %d of the 2 small codes", n)
	}
	// Two other steps reach these codes too: gozxing's finder around two
	// patterns (pairs) and the search for a small code's fourth corner.
	// Enlarging alone must read both, and without all three fewer are read.
	others := usePairs | useFourth
	if n := count(allSteps &^ others); n != 2 {
		t.Errorf("enlarging without pairs and the fourth-corner search: read %d of the 2 small codes", n)
	}
	if n := count(allSteps &^ others &^ useZoom); n == 2 {
		t.Errorf("without enlarging, %d of 2 read: the picture does not test enlarging", n)
	}
}
