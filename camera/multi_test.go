package camera

import (
	"context"
	"crypto/ed25519"
	"image"
	"image/color"
	"math/rand"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"hcscan/healthcode"
)

// issuedCodes issues n health codes (signed static credentials) with a
// fixed test issuer, as the province's issuer would.
func issuedCodes(tb testing.TB, n int) []string {
	tb.Helper()
	rng := rand.New(rand.NewSource(42))
	seed := make([]byte, ed25519.SeedSize)
	rng.Read(seed)
	is := healthcode.Issuer{Region: 110000, Key: ed25519.NewKeyFromSeed(seed)}
	names := []string{"张三丰", "李小龙", "王芳", "赵敏"}
	var out []string
	for i := range n {
		c, err := healthcode.NewClaims(rng, 110105, healthcode.Green, names[i%len(names)], "110105199001011234", "zh",
			time.Date(2026, 11, 1, 8, i, 0, 0, time.UTC), 72*time.Hour)
		if err != nil {
			tb.Fatal(err)
		}
		code, err := is.Issue(rng, c)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, code)
	}
	return out
}

// TestFourIssuedCodesSideBySide: a sheet with four issued codes in a row
// decodes to the four texts, left to right, each with its own outline.
func TestFourIssuedCodesSideBySide(t *testing.T) {
	texts := issuedCodes(t, 4)
	var codes []gocv.Mat
	side := 0 // the largest code's side; codes of other versions are smaller
	for _, s := range texts {
		codes = append(codes, qrMat(t, s))
		side = max(side, codes[len(codes)-1].Cols())
	}
	sheet := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(255, 0, 0, 0), side+40, 4*side+100, gocv.MatTypeCV8UC1)
	defer sheet.Close()
	for i, c := range codes {
		n := c.Cols()
		roi := sheet.Region(image.Rect(20+i*(side+20), 20, 20+i*(side+20)+n, 20+n))
		c.CopyTo(&roi)
		roi.Close()
		c.Close()
	}
	path := filepath.Join(t.TempDir(), "four.png")
	if !gocv.IMWrite(path, sheet) {
		t.Fatal("write sheet")
	}
	r := NewReader()
	defer r.Close()
	s, err := r.DecodeImageFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Texts(), texts) {
		t.Fatalf("read %d codes %q, want the four issued codes left to right", len(s.Codes), s.Texts())
	}
	for i, c := range s.Codes {
		x, y := 20+i*(side+20)+side/3, 20+side/3 // inside code i whatever its version
		if !quadContains(c.Corners, x, y) {
			t.Errorf("code %d: corners %v do not surround (%d, %d)", i, c.Corners, x, y)
		}
	}
}

// fourCodeScene is a busy 1280×720 picture (a door with clutter, printed
// words and lines) with four issued codes at different sizes, turned and
// tilted, saved as a camera JPEG.
func fourCodeScene(tb testing.TB, texts []string) (string, [][2]int) {
	tb.Helper()
	frame := background(1280, 720)
	defer frame.Close()
	rng := rand.New(rand.NewSource(3))
	for i := range 30 {
		c := color.RGBA{uint8(rng.Intn(255)), uint8(rng.Intn(255)), uint8(rng.Intn(255)), 0}
		p := image.Pt(rng.Intn(1280), rng.Intn(720))
		if i%2 == 0 {
			gocv.PutText(&frame, "EXIT 8:00-18:00", p, gocv.FontHersheySimplex, 0.6+rng.Float64(), c, 2)
		} else {
			gocv.Line(&frame, p, image.Pt(rng.Intn(1280), rng.Intn(720)), c, 1+rng.Intn(3))
		}
	}
	places := []struct{ x, y, size, rot, tilt float64 }{
		{250, 200, 260, -25, 0.1},
		{950, 180, 200, 35, 0},
		{330, 540, 190, 80, 0.15},
		{960, 520, 300, -8, 0.2},
	}
	var centres [][2]int
	for i, p := range places {
		code := qrMat(tb, texts[i])
		placeCodeAt(&frame, code, p.x, p.y, p.size, p.rot, p.tilt)
		code.Close()
		centres = append(centres, [2]int{int(p.x), int(p.y)})
	}
	degrade(&frame, shot{frames: 1}, 0, rng)
	path := filepath.Join(tb.TempDir(), "scene.jpg")
	if !gocv.IMWriteWithParams(path, frame, []int{gocv.IMWriteJpegQuality, 85}) {
		tb.Fatal("write scene")
	}
	return path, centres
}

// TestBusySceneFourCodes: four codes scaled and turned in one busy 720p
// picture decode to exactly the four texts, each outline around its code.
func TestBusySceneFourCodes(t *testing.T) {
	texts := issuedCodes(t, 4)
	path, centres := fourCodeScene(t, texts)
	r := NewReader()
	defer r.Close()
	s, err := r.DecodeImageFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got := s.Texts()
	if len(got) != 4 {
		t.Fatalf("read %d codes, want 4", len(got))
	}
	for i, want := range texts {
		k := slices.Index(got, want)
		if k < 0 {
			t.Errorf("code %d not read", i)
			continue
		}
		if c := centres[i]; !quadContains(s.Codes[k].Corners, c[0], c[1]) {
			t.Errorf("code %d: corners %v do not surround its centre %v", i, s.Codes[k].Corners, c)
		}
	}
}

// TestVideoTwoCodesInOneScan: two people hold up their codes together; the
// camera delivers one scan with both codes (reading order, positions), and
// nothing more while they stay in view.
func TestVideoTwoCodesInOneScan(t *testing.T) {
	texts := issuedCodes(t, 2)
	path := filepath.Join(t.TempDir(), "two.avi")
	vw, err := gocv.VideoWriterFile(path, "MJPG", 30, 1280, 720, true)
	if err != nil {
		t.Fatal(err)
	}
	bg := background(1280, 720)
	frame := gocv.NewMat()
	rng := rand.New(rand.NewSource(5))
	codes := []gocv.Mat{qrMat(t, texts[0]), qrMat(t, texts[1])}
	for i := range 16 {
		bg.CopyTo(&frame)
		if i >= 4 {
			placeCodeAt(&frame, codes[0], 340, 360, 330, 10, 0.05)
			placeCodeAt(&frame, codes[1], 940, 350, 300, -15, 0.1)
		}
		degrade(&frame, shot{frames: 16}, i, rng)
		if err := vw.Write(frame); err != nil {
			t.Fatal(err)
		}
	}
	vw.Close()
	bg.Close()
	frame.Close()
	codes[0].Close()
	codes[1].Close()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cam, err := Open(ctx, Source{Kind: VideoFile, Path: path}, Options{Unpaced: true})
	if err != nil {
		t.Fatal(err)
	}
	defer cam.Close()
	var scans []Scan
	for s := range cam.Scans() {
		scans = append(scans, s)
	}
	if len(scans) != 1 || !slices.Equal(scans[0].Texts(), texts) {
		for _, s := range scans {
			t.Logf("scan at frame %d: %d codes", s.Frame, len(s.Codes))
		}
		t.Fatalf("got %d scans, want one scan with both codes left to right", len(scans))
	}
	s := scans[0]
	if s.Frame < 4 || !quadContains(s.Codes[0].Corners, 340, 360) || !quadContains(s.Codes[1].Corners, 940, 350) {
		t.Errorf("scan at frame %d, corners %v and %v: not where the codes are", s.Frame, s.Codes[0].Corners, s.Codes[1].Corners)
	}
}
