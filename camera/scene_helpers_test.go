package camera

import (
	"image"
	"image/color"
	"math"
	"math/rand"
	"path/filepath"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"gocv.io/x/gocv"
)

// base45 is the alphabet of health-code payloads: exactly QR's alphanumeric set.
const base45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

// healthPayload makes a realistic code text: "HCN1:" and ~300 Base45
// characters (what a signed COSE payload becomes), deterministic per seed.
func healthPayload(seed int64) string {
	rng := rand.New(rand.NewSource(seed))
	b := []byte("HCN1:")
	for range 300 {
		b = append(b, base45[rng.Intn(len(base45))])
	}
	return string(b)
}

// qrMat encodes text at level M in alphanumeric mode (gozxing picks it for
// this alphabet) with a 4-module quiet zone, 4 px a module, as a grey Mat.
func qrMat(tb testing.TB, text string) gocv.Mat {
	tb.Helper()
	hints := map[gozxing.EncodeHintType]interface{}{
		gozxing.EncodeHintType_ERROR_CORRECTION: "M",
		gozxing.EncodeHintType_MARGIN:           4,
	}
	bm, err := qrcode.NewQRCodeWriter().Encode(text, gozxing.BarcodeFormat_QR_CODE, 0, 0, hints)
	if err != nil {
		tb.Fatalf("encode QR: %v", err)
	}
	modules := bm.GetWidth()
	if modules > 4*2+65 { // version 12 is 65 modules a side
		tb.Fatalf("code for %d chars is %d modules: above version 12", len(text), modules-8)
	}
	const px = 4
	m := gocv.NewMatWithSize(modules*px, modules*px, gocv.MatTypeCV8UC1)
	pix, _ := m.DataPtrUint8()
	for y := 0; y < modules*px; y++ {
		for x := 0; x < modules*px; x++ {
			v := byte(255)
			if bm.Get(x/px, y/px) {
				v = 0
			}
			pix[y*modules*px+x] = v
		}
	}
	return m
}

// shot is a run of frames: one person showing a code a certain way, or
// (text "") nobody at the door.
type shot struct {
	text   string
	frames int
	size   int     // code side in pixels (default a third of the frame height)
	tilt   float64 // 0..0.5: phone turned away, far edge shorter (perspective)
	rot    float64 // in-plane rotation, degrees
	blur   int     // horizontal motion blur length in pixels on the first half
	light  float64 // brightness factor (default 1)
	glare  bool    // a bright reflection across part of the code
	dark   bool    // dark-mode screen: light modules on black
}

// scene writes an MJPG AVI of the shots at w×h and fps and returns its
// path and, for each frame, the text it shows ("" for none).
func scene(tb testing.TB, name string, w, h int, fps float64, shots []shot) (string, []string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), name+".avi")
	vw, err := gocv.VideoWriterFile(path, "MJPG", fps, w, h, true)
	if err != nil || !vw.IsOpened() {
		tb.Fatalf("open video writer %s: %v", path, err)
	}
	defer vw.Close()
	bg := background(w, h)
	defer bg.Close()
	frame := gocv.NewMat()
	defer frame.Close()
	rng := rand.New(rand.NewSource(7))
	var texts []string
	for _, s := range shots {
		var code gocv.Mat
		if s.text != "" {
			code = qrMat(tb, s.text)
		}
		for i := 0; i < s.frames; i++ {
			bg.CopyTo(&frame)
			if s.text != "" {
				shake := image.Pt(rng.Intn(7)-3, rng.Intn(7)-3)
				placeCode(&frame, code, s, shake)
			}
			degrade(&frame, s, i, rng)
			if err := vw.Write(frame); err != nil {
				tb.Fatalf("write frame: %v", err)
			}
			texts = append(texts, s.text)
		}
		if s.text != "" {
			code.Close()
		}
	}
	return path, texts
}

// background is a door scene: a lit wall gradient with some clutter.
func background(w, h int) gocv.Mat {
	m := gocv.NewMatWithSize(h, w, gocv.MatTypeCV8UC3)
	pix, _ := m.DataPtrUint8()
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := byte(90 + 80*x/w + 40*y/h)
			i := (y*w + x) * 3
			pix[i], pix[i+1], pix[i+2] = v, v+10, v+20
		}
	}
	rng := rand.New(rand.NewSource(1))
	for range 12 {
		x, y := rng.Intn(w), rng.Intn(h)
		c := color.RGBA{uint8(rng.Intn(255)), uint8(rng.Intn(255)), uint8(rng.Intn(255)), 0}
		gocv.Rectangle(&m, image.Rect(x, y, x+rng.Intn(w/6)+10, y+rng.Intn(h/6)+10), c, -1)
	}
	return m
}

// placeCode draws the code (with its quiet zone, the phone's screen) into
// the frame's centre, turned and tilted as the shot says.
func placeCode(frame *gocv.Mat, code gocv.Mat, s shot, shake image.Point) {
	w, h := frame.Cols(), frame.Rows()
	size := s.size
	if size == 0 {
		size = h * 3 / 5
	}
	if s.dark {
		face := gocv.NewMat()
		defer face.Close()
		gocv.BitwiseNot(code, &face)
		code = face
	}
	placeCodeAt(frame, code, float64(w/2+shake.X), float64(h/2+shake.Y), float64(size), s.rot, s.tilt)
}

// placeCodeAt draws a grey code image centred at (cx, cy), size px a side,
// turned by rot degrees, its right edge shortened by tilt (0..0.5).
func placeCodeAt(frame *gocv.Mat, code gocv.Mat, cx, cy, size, rot, tilt float64) {
	w, h := frame.Cols(), frame.Rows()
	half := size / 2
	// Corners before rotation: tilt shortens the right edge (turned away).
	pts := [4][2]float64{
		{-half, -half}, {half, -half * (1 - tilt)}, {half, half * (1 - tilt)}, {-half, half},
	}
	sin, cos := math.Sincos(rot * math.Pi / 180)
	var dst []image.Point
	for _, p := range pts {
		x := p[0]*cos - p[1]*sin
		y := p[0]*sin + p[1]*cos
		dst = append(dst, image.Pt(int(cx+x), int(cy+y)))
	}
	cs := code.Cols()
	src := []image.Point{{0, 0}, {cs, 0}, {cs, cs}, {0, cs}}
	sv, dv := gocv.NewPointVectorFromPoints(src), gocv.NewPointVectorFromPoints(dst)
	defer sv.Close()
	defer dv.Close()
	tr := gocv.GetPerspectiveTransform(sv, dv)
	defer tr.Close()

	faceBGR := gocv.NewMat()
	defer faceBGR.Close()
	gocv.CvtColor(code, &faceBGR, gocv.ColorGrayToBGR)
	warped := gocv.NewMat()
	defer warped.Close()
	gocv.WarpPerspectiveWithParams(faceBGR, &warped, tr, image.Pt(w, h), gocv.InterpolationLinear, gocv.BorderConstant, color.RGBA{})
	white := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(255, 0, 0, 0), cs, cs, gocv.MatTypeCV8UC1)
	defer white.Close()
	mask := gocv.NewMat()
	defer mask.Close()
	gocv.WarpPerspectiveWithParams(white, &mask, tr, image.Pt(w, h), gocv.InterpolationNearestNeighbor, gocv.BorderConstant, color.RGBA{})
	warped.CopyToWithMask(frame, mask)
}

// degrade applies the shot's light, glare, blur and sensor noise.
func degrade(frame *gocv.Mat, s shot, i int, rng *rand.Rand) {
	if s.glare {
		w, h := frame.Cols(), frame.Rows()
		spot := gocv.NewMatWithSize(h, w, gocv.MatTypeCV8UC3)
		defer spot.Close()
		spot.SetTo(gocv.NewScalar(0, 0, 0, 0))
		gocv.Circle(&spot, image.Pt(w/2+h/10, h/2-h/10), h/9, color.RGBA{170, 170, 170, 0}, -1)
		gocv.GaussianBlur(spot, &spot, image.Pt(0, 0), float64(h)/30, float64(h)/30, gocv.BorderDefault)
		gocv.Add(*frame, spot, frame)
	}
	if s.blur > 1 && i < s.frames/2 {
		k := gocv.NewMatWithSize(1, s.blur, gocv.MatTypeCV32F)
		defer k.Close()
		for x := 0; x < s.blur; x++ {
			k.SetFloatAt(0, x, 1/float32(s.blur))
		}
		gocv.Filter2D(*frame, frame, -1, k, image.Pt(-1, -1), 0, gocv.BorderDefault)
	}
	light := s.light
	if light == 0 {
		light = 1
	}
	noise := gocv.NewMatWithSize(frame.Rows(), frame.Cols(), gocv.MatTypeCV8UC3)
	defer noise.Close()
	sigma := 3.0
	if light < 1 {
		sigma = 6 // a dark room means a high gain and a grainy picture
	}
	gocv.RandN(&noise, gocv.NewScalar(sigma, sigma, sigma, 0), gocv.NewScalar(sigma, sigma, sigma, 0))
	frame.ConvertToWithParams(frame, gocv.MatTypeCV8UC3, float32(light), float32(rng.Intn(3)))
	gocv.Add(*frame, noise, frame)
}
