package stressset

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"gocv.io/x/gocv"
)

// modules encodes text at level M with no quiet zone (the card adds it).
func modules(text string) (*gozxing.BitMatrix, error) {
	hints := map[gozxing.EncodeHintType]interface{}{
		gozxing.EncodeHintType_ERROR_CORRECTION: "M",
		gozxing.EncodeHintType_MARGIN:           0,
		gozxing.EncodeHintType_CHARACTER_SET:    "UTF-8",
	}
	bm, err := qrcode.NewQRCodeWriter().Encode(text, gozxing.BarcodeFormat_QR_CODE, 0, 0, hints)
	if err != nil {
		return nil, fmt.Errorf("encode %q: %w", text, err)
	}
	return bm, nil
}

// style is how a code is printed or shown.
type style struct {
	px       int     // pixels per module on the card
	quiet    int     // quiet zone in modules
	dot      float64 // >0: data modules are dots of this radius (in modules)
	dark     uint8   // grey of dark modules
	light    uint8   // grey of the paper or screen
	invert   bool    // light modules on a dark ground
	finderOK bool    // keep finder patterns solid squares when dotted
}

// card draws the code with its quiet zone as a grey Mat: a printed label or
// a screen's content. It returns the card and the code's side in card
// pixels without the quiet zone.
func card(bm *gozxing.BitMatrix, st style) (gocv.Mat, int) {
	n := bm.GetWidth()
	side := (n + 2*st.quiet) * st.px
	ink, paper := st.dark, st.light
	if st.invert {
		ink, paper = st.light, st.dark
	}
	m := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(float64(paper), 0, 0, 0), side, side, gocv.MatTypeCV8UC1)
	c := color.RGBA{ink, ink, ink, 0}
	inFinder := func(x, y int) bool {
		return (x < 7 && y < 7) || (x >= n-7 && y < 7) || (x < 7 && y >= n-7)
	}
	for y := range n {
		for x := range n {
			if !bm.Get(x, y) {
				continue
			}
			x0, y0 := (x+st.quiet)*st.px, (y+st.quiet)*st.px
			if st.dot > 0 && !(st.finderOK && inFinder(x, y)) {
				r := int(math.Round(st.dot * float64(st.px)))
				gocv.Circle(&m, image.Pt(x0+st.px/2, y0+st.px/2), max(1, r), c, -1)
				continue
			}
			gocv.Rectangle(&m, image.Rect(x0, y0, x0+st.px, y0+st.px), c, -1)
		}
	}
	return m, n * st.px
}

// quad is where a card's corners land in the scene.
type quad [4]gocv.Point2f

// square is a code of side px centred at (cx, cy), turned by rot degrees,
// with keystone tilt (0..0.5: the right edge shorter, a phone turned away)
// and the card's quiet zone around it (frac: code side over card side).
func square(cx, cy, side, rot, tilt, frac float64) quad {
	h := side / frac / 2
	pts := [4][2]float64{{-h, -h}, {h, -h * (1 - tilt)}, {h, h * (1 - tilt)}, {-h, h}}
	sin, cos := math.Sincos(rot * math.Pi / 180)
	var q quad
	for i, p := range pts {
		q[i] = gocv.Point2f{X: float32(cx + p[0]*cos - p[1]*sin), Y: float32(cy + p[0]*sin + p[1]*cos)}
	}
	return q
}

// place warps a grey card onto the BGR scene at q. Unless alias is set, a
// card much larger than its place is first shrunk with area averaging, as
// a lens would, so that the warp does not alias.
func place(scene *gocv.Mat, cardM gocv.Mat, q quad, alias bool) {
	src := cardM
	side := float64(cardM.Cols())
	target := 0.0
	for i := range q {
		j := (i + 1) % 4
		target = max(target, math.Hypot(float64(q[i].X-q[j].X), float64(q[i].Y-q[j].Y)))
	}
	if !alias && target < side*0.8 {
		small := gocv.NewMat()
		defer small.Close()
		gocv.Resize(cardM, &small, image.Pt(int(target), int(target)), 0, 0, gocv.InterpolationArea)
		src, side = small, float64(small.Cols())
	}
	s := float32(side)
	sv := gocv.NewPoint2fVectorFromPoints([]gocv.Point2f{{X: 0, Y: 0}, {X: s, Y: 0}, {X: s, Y: s}, {X: 0, Y: s}})
	dv := gocv.NewPoint2fVectorFromPoints(q[:])
	defer sv.Close()
	defer dv.Close()
	tr := gocv.GetPerspectiveTransform2f(sv, dv)
	defer tr.Close()
	bgr := gocv.NewMat()
	defer bgr.Close()
	if src.Channels() == 1 {
		gocv.CvtColor(src, &bgr, gocv.ColorGrayToBGR)
	} else {
		src.CopyTo(&bgr)
	}
	size := image.Pt(scene.Cols(), scene.Rows())
	warped := gocv.NewMat()
	defer warped.Close()
	gocv.WarpPerspectiveWithParams(bgr, &warped, tr, size, gocv.InterpolationLinear, gocv.BorderConstant, color.RGBA{})
	white := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(255, 0, 0, 0), src.Rows(), src.Cols(), gocv.MatTypeCV8UC1)
	defer white.Close()
	mask := gocv.NewMat()
	defer mask.Close()
	gocv.WarpPerspectiveWithParams(white, &mask, tr, size, gocv.InterpolationNearestNeighbor, gocv.BorderConstant, color.RGBA{})
	warped.CopyToWithMask(scene, mask)
}

// background is a cluttered scene: multi-octave noise in a random colour,
// shapes, lines and printed words, under a light gradient.
func background(rng *rand.Rand, w, h int) gocv.Mat {
	// Luminance noise in one tint, as a wall, a counter or a coat looks.
	acc := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(0, 0, 0, 0), h, w, gocv.MatTypeCV32F)
	defer acc.Close()
	for o, cell := range []int{256, 64, 16, 4} {
		sw, sh := max(2, w/cell+2), max(2, h/cell+2)
		small := gocv.NewMatWithSize(sh, sw, gocv.MatTypeCV32F)
		gocv.RandU(&small, gocv.NewScalar(0, 0, 0, 0), gocv.NewScalar(255, 0, 0, 0))
		big := gocv.NewMat()
		gocv.Resize(small, &big, image.Pt(w, h), 0, 0, gocv.InterpolationCubic)
		gocv.AddWeighted(acc, 1, big, []float64{0.5, 0.25, 0.15, 0.1}[o], 0, &acc)
		small.Close()
		big.Close()
	}
	gain, offset := 0.6+0.5*rng.Float64(), float64(rng.Intn(60))
	var ch [3]gocv.Mat
	for i := range ch {
		ch[i] = gocv.NewMat()
		defer ch[i].Close()
		tint := 0.75 + 0.25*rng.Float64()
		acc.ConvertToWithParams(&ch[i], gocv.MatTypeCV8U, float32(gain*tint), float32(offset*tint))
	}
	m := gocv.NewMat()
	gocv.Merge(ch[:], &m)
	rc := func() color.RGBA {
		return color.RGBA{uint8(rng.Intn(256)), uint8(rng.Intn(256)), uint8(rng.Intn(256)), 0}
	}
	for range 6 + rng.Intn(10) {
		x, y := rng.Intn(w), rng.Intn(h)
		switch rng.Intn(4) {
		case 0:
			gocv.Rectangle(&m, image.Rect(x, y, x+rng.Intn(w/4)+8, y+rng.Intn(h/4)+8), rc(), -1)
		case 1:
			gocv.Circle(&m, image.Pt(x, y), rng.Intn(h/6)+4, rc(), -1)
		case 2:
			gocv.Line(&m, image.Pt(x, y), image.Pt(rng.Intn(w), rng.Intn(h)), rc(), 1+rng.Intn(4))
		default:
			words := []string{"EXIT", "No. 12", "OPEN 8:00-18:00", "Pharmacy", "1F", "PUSH", "Gate B"}
			gocv.PutText(&m, words[rng.Intn(len(words))], image.Pt(x, y), gocv.FontHersheySimplex, 0.5+rng.Float64()*2, rc(), 1+rng.Intn(3))
		}
	}
	light(&m, 0.7+0.3*rng.Float64(), 1.0+0.2*rng.Float64(), rng.Float64()*2*math.Pi)
	return m
}

// light multiplies the image by a linear gradient from lo to hi along angle
// (a 2×2 grid of the corner values, stretched bilinearly, is that gradient).
func light(m *gocv.Mat, lo, hi, angle float64) {
	w, h := float64(m.Cols()), float64(m.Rows())
	cx, cy := math.Cos(angle), math.Sin(angle)
	span := math.Abs(cx)*w + math.Abs(cy)*h
	base := min(0, cx*w) + min(0, cy*h)
	g := gocv.NewMatWithSize(2, 2, gocv.MatTypeCV32FC3)
	defer g.Close()
	for y := range 2 {
		for x := range 2 {
			t := (cx*float64(x)*w + cy*float64(y)*h - base) / span
			v := float32(lo + (hi-lo)*t)
			for c := range 3 {
				g.SetFloatAt(y, x*3+c, v)
			}
		}
	}
	g3 := gocv.NewMat()
	defer g3.Close()
	gocv.Resize(g, &g3, image.Pt(m.Cols(), m.Rows()), 0, 0, gocv.InterpolationLinear)
	f := gocv.NewMat()
	defer f.Close()
	m.ConvertTo(&f, gocv.MatTypeCV32FC3)
	gocv.Multiply(f, g3, &f)
	f.ConvertTo(m, gocv.MatTypeCV8UC3)
}

// camera blurs (sigma px, 0 for none) and adds sensor noise (sigma grey levels).
func camera(m *gocv.Mat, blur, noise float64) {
	if blur > 0 {
		gocv.GaussianBlur(*m, m, image.Pt(0, 0), blur, blur, gocv.BorderDefault)
	}
	if noise > 0 {
		n := gocv.NewMatWithSize(m.Rows(), m.Cols(), gocv.MatTypeCV16SC3)
		defer n.Close()
		gocv.RandN(&n, gocv.NewScalar(0, 0, 0, 0), gocv.NewScalar(noise, noise, noise, 0))
		f := gocv.NewMat()
		defer f.Close()
		m.ConvertTo(&f, gocv.MatTypeCV16SC3)
		gocv.Add(f, n, &f)
		f.ConvertTo(m, gocv.MatTypeCV8UC3)
	}
}

// motionBlur smears the image along angle over length px.
func motionBlur(m *gocv.Mat, length int, angle float64) {
	if length < 2 {
		return
	}
	k := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(0, 0, 0, 0), length, length, gocv.MatTypeCV32F)
	defer k.Close()
	c := float64(length-1) / 2
	sin, cos := math.Sincos(angle)
	for i := range length {
		t := float64(i) - c
		x, y := int(math.Round(c+t*cos)), int(math.Round(c+t*sin))
		k.SetFloatAt(y, x, 1/float32(length))
	}
	gocv.Filter2D(*m, m, -1, k, image.Pt(-1, -1), 0, gocv.BorderDefault)
}
