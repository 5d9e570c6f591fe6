package stressset

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand"

	"github.com/makiuchi-d/gozxing"
	"gocv.io/x/gocv"

	"hcscan/healthcode"
)

// gatePresent is what one person shows: a code's text, how it is shown,
// and the code's colour (health-code apps draw the code in it).
type gatePresent struct {
	text   string
	kind   string
	colour healthcode.Colour
}

// present draws what the next person shows.
func (g *gen) present(rng *rand.Rand) (gatePresent, error) {
	var p gatePresent
	switch r := rng.Float64(); {
	case r < 0.45:
		p.kind = "phone"
	case r < 0.57:
		p.kind = "dark-phone"
	case r < 0.85:
		p.kind = "paper"
	default:
		p.kind = "far"
	}
	if p.kind == "far" {
		p.text = fmt.Sprintf("GATE-%03d", rng.Intn(1000))
		if rng.Intn(2) == 0 {
			p.text = fmt.Sprintf("https://hc.cn/%d", rng.Intn(100000))
		}
		return p, nil
	}
	var err error
	// Phones show the live presentation (against screenshots) mostly;
	// paper holds the static credential.
	p.text, p.colour, err = g.healthCodeColour(rng, p.kind != "paper" && rng.Intn(10) < 7)
	return p, err
}

// gateDevice is a phone, a sheet or a card with a code, drawn upright in
// BGR, and where the code (without its quiet zone) lies on it.
type gateDevice struct {
	img  gocv.Mat
	code image.Rectangle
	kind string
}

func (d gateDevice) Close() { d.img.Close() }

// Colours of the ink health-code apps draw the code in.
var codeInk = map[healthcode.Colour]color.RGBA{
	healthcode.Green:  {35, 165, 60, 0},
	healthcode.Yellow: {240, 195, 10, 0},
	healthcode.Red:    {215, 40, 45, 0},
}

// device draws what p is shown on.
func (p gatePresent) device(rng *rand.Rand) (gateDevice, error) {
	bm, err := modules(p.text)
	if err != nil {
		return gateDevice{}, err
	}
	const px = 6
	n := bm.GetWidth()
	s := n * px
	white := color.RGBA{248, 248, 248, 0}
	ink := color.RGBA{25, 25, 25, 0}
	var d gateDevice
	d.kind = p.kind
	switch p.kind {
	case "phone", "dark-phone":
		screen := color.RGBA{250, 250, 250, 0}
		if c, ok := codeInk[p.colour]; ok && rng.Intn(5) != 0 {
			ink = c
		}
		if p.kind == "dark-phone" {
			screen, ink = color.RGBA{18, 18, 18, 0}, color.RGBA{225, 225, 225, 0}
		}
		sw := s + 2*3*px + s/6
		sh := sw * 2
		bezel := sw / 20
		d.img = gocv.NewMatWithSizeFromScalar(gocv.NewScalar(30, 28, 28, 0), sh+4*bezel, sw+2*bezel, gocv.MatTypeCV8UC3)
		gocv.Rectangle(&d.img, image.Rect(bezel, 2*bezel, bezel+sw, 2*bezel+sh), screen, -1)
		// The app's header in the code's colour, a name line under the code.
		head := ink
		if p.kind == "dark-phone" {
			head = color.RGBA{70, 70, 70, 0}
		}
		gocv.Rectangle(&d.img, image.Rect(bezel, 2*bezel, bezel+sw, 2*bezel+sh/8), head, -1)
		gocv.PutText(&d.img, "Health Code", image.Pt(bezel+sw/10, 2*bezel+sh/12), gocv.FontHersheySimplex, float64(sw)/400, screen, max(1, sw/150))
		x0, y0 := bezel+(sw-s)/2, 2*bezel+sh/5
		d.code = image.Rect(x0, y0, x0+s, y0+s)
		for i := range 3 {
			y := y0 + s + 3*px + sw/12 + i*sw/9
			gocv.Rectangle(&d.img, image.Rect(bezel+sw/6, y, bezel+sw/6+sw*(5-i)/8, y+sw/22), color.RGBA{140, 140, 140, 0}, -1)
		}
	case "paper":
		pw, ph := s*27/20, s*8/5
		paper := uint8(220 + rng.Intn(25))
		white = color.RGBA{paper, paper, paper - uint8(rng.Intn(12)), 0}
		d.img = gocv.NewMatWithSizeFromScalar(gocv.NewScalar(float64(white.B), float64(white.G), float64(white.R), 0), ph, pw, gocv.MatTypeCV8UC3)
		x0, y0 := (pw-s)/2, ph/9
		d.code = image.Rect(x0, y0, x0+s, y0+s)
		gocv.PutText(&d.img, "HEALTH PASS", image.Pt(pw/5, ph/14), gocv.FontHersheySimplex, float64(pw)/500, ink, max(1, pw/200))
		for i := range 2 {
			y := y0 + s + ph/14 + i*ph/14
			gocv.Rectangle(&d.img, image.Rect(pw/6, y, pw*5/6-i*pw/4, y+ph/50), color.RGBA{90, 90, 90, 0}, -1)
		}
	default: // a small card
		q := 4 * px
		d.img = gocv.NewMatWithSizeFromScalar(gocv.NewScalar(245, 245, 245, 0), s+2*q, s+2*q, gocv.MatTypeCV8UC3)
		d.code = image.Rect(q, q, q+s, q+s)
	}
	drawModules(&d.img, bm, d.code.Min, px, ink)
	if (p.kind == "phone" || p.kind == "dark-phone") && rng.Intn(10) < 3 {
		glare(&d.img, rng, d.code)
	}
	return d, nil
}

func drawModules(m *gocv.Mat, bm *gozxing.BitMatrix, at image.Point, px int, ink color.RGBA) {
	for y := range bm.GetHeight() {
		for x := range bm.GetWidth() {
			if bm.Get(x, y) {
				x0, y0 := at.X+x*px, at.Y+y*px
				gocv.Rectangle(m, image.Rect(x0, y0, x0+px, y0+px), ink, -1)
			}
		}
	}
}

// glare adds a soft reflection on the glass across part of the code.
func glare(m *gocv.Mat, rng *rand.Rand, code image.Rectangle) {
	spot := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(0, 0, 0, 0), m.Rows(), m.Cols(), gocv.MatTypeCV8UC3)
	defer spot.Close()
	s := code.Dx()
	a := int(between(rng, 0.12, 0.3) * float64(s))
	c := image.Pt(code.Min.X+int(between(rng, 0.2, 0.8)*float64(s)), code.Min.Y+int(between(rng, 0.2, 0.8)*float64(s)))
	v := between(rng, 60, 150)
	gocv.Ellipse(&spot, c, image.Pt(a, a/2), rng.Float64()*180, 0, 360, color.RGBA{uint8(v), uint8(v), uint8(v), 0}, -1)
	gocv.GaussianBlur(spot, &spot, image.Pt(0, 0), float64(a)/3, float64(a)/3, gocv.BorderDefault)
	gocv.Add(*m, spot, m)
}

// gateLook is the light and camera for one person.
type gateLook struct {
	gain, noise, exposure float64
	focus                 float64 // the code side (px) at which the camera is sharp
	clothes, skin         color.RGBA
}

func lookOf(rng *rand.Rand, kind string) gateLook {
	l := gateLook{gain: between(rng, 0.45, 1.15), exposure: between(rng, 0.3, 0.8), focus: between(rng, 60, 140)}
	l.noise = 2 + 5*(1.15-l.gain)/0.7
	if l.gain < 0.7 {
		l.exposure = between(rng, 0.6, 1) // a dark room: long exposures
	}
	l.clothes = color.RGBA{uint8(rng.Intn(200)), uint8(rng.Intn(200)), uint8(rng.Intn(200)), 0}
	t := between(rng, 0.55, 1)
	l.skin = color.RGBA{uint8(225 * t), uint8(175 * t), uint8(150 * t), 0}
	return l
}

// apply is the camera: the room's light and the sensor's noise.
func (l gateLook) apply(m *gocv.Mat, rng *rand.Rand) {
	m.ConvertToWithParams(m, gocv.MatTypeCV8UC3, float32(l.gain), float32(rng.Intn(3)))
	camera(m, 0, l.noise)
}

// draw puts the device, the person behind it and their hands into the frame
// with the code at pose.
func (d gateDevice) draw(frame *gocv.Mat, pose gatePose, look gateLook) {
	// The code's corners under the pose (a perspective keystone, then the turn).
	h := pose.side / 2
	k := 1 - pose.tilt
	pts := [4][2]float64{{-h, -h}, {h, -h * k}, {h, h * k}, {-h, h}}
	if pose.tiltAxis == 1 {
		pts = [4][2]float64{{-h, -h}, {h, -h}, {h * k, h}, {-h * k, h}}
	}
	sin, cos := math.Sincos(pose.rot * math.Pi / 180)
	var codeQ [4]gocv.Point2f
	for i, p := range pts {
		codeQ[i] = gocv.Point2f{X: float32(pose.cx + p[0]*cos - p[1]*sin), Y: float32(pose.cy + p[0]*sin + p[1]*cos)}
	}
	// The whole device follows from the code's homography.
	c := d.code
	src := gocv.NewPoint2fVectorFromPoints([]gocv.Point2f{
		{X: float32(c.Min.X), Y: float32(c.Min.Y)}, {X: float32(c.Max.X), Y: float32(c.Min.Y)},
		{X: float32(c.Max.X), Y: float32(c.Max.Y)}, {X: float32(c.Min.X), Y: float32(c.Max.Y)},
	})
	dst := gocv.NewPoint2fVectorFromPoints(codeQ[:])
	hom := gocv.GetPerspectiveTransform2f(src, dst)
	src.Close()
	dst.Close()
	defer hom.Close()
	at := func(x, y float64) gocv.Point2f {
		a := func(r, c int) float64 { return hom.GetDoubleAt(r, c) }
		w := a(2, 0)*x + a(2, 1)*y + a(2, 2)
		return gocv.Point2f{X: float32((a(0, 0)*x + a(0, 1)*y + a(0, 2)) / w), Y: float32((a(1, 0)*x + a(1, 1)*y + a(1, 2)) / w)}
	}
	W, H := float64(d.img.Cols()), float64(d.img.Rows())
	devQ := [4]gocv.Point2f{at(0, 0), at(W, 0), at(W, H), at(0, H)}

	// The person behind: a torso below the device, as large as the device is near.
	mid := at(W/2, H)
	gocv.Ellipse(frame, image.Pt(int(mid.X), int(float64(mid.Y)+pose.side*0.8)), image.Pt(int(pose.side*1.6), int(pose.side*2.2)), 0, 0, 360, look.clothes, -1)

	// Shrink a device much larger than its place first, as a lens would.
	scale := pose.side / float64(c.Dx())
	img := d.img
	if scale < 0.8 {
		small := gocv.NewMat()
		defer small.Close()
		gocv.Resize(d.img, &small, image.Pt(max(1, int(W*scale)), max(1, int(H*scale))), 0, 0, gocv.InterpolationArea)
		img = small
	}
	box := image.Rectangle{}
	for i, p := range devQ {
		r := image.Rect(int(math.Floor(float64(p.X))), int(math.Floor(float64(p.Y))), int(math.Ceil(float64(p.X)))+1, int(math.Ceil(float64(p.Y)))+1)
		if i == 0 {
			box = r
		} else {
			box = box.Union(r)
		}
	}
	box = box.Intersect(image.Rect(0, 0, frame.Cols(), frame.Rows()))
	if box.Dx() < 2 || box.Dy() < 2 {
		return
	}
	iw, ih := float32(img.Cols()), float32(img.Rows())
	var local [4]gocv.Point2f
	for i, p := range devQ {
		local[i] = gocv.Point2f{X: p.X - float32(box.Min.X), Y: p.Y - float32(box.Min.Y)}
	}
	sv := gocv.NewPoint2fVectorFromPoints([]gocv.Point2f{{X: 0, Y: 0}, {X: iw, Y: 0}, {X: iw, Y: ih}, {X: 0, Y: ih}})
	dv := gocv.NewPoint2fVectorFromPoints(local[:])
	tr := gocv.GetPerspectiveTransform2f(sv, dv)
	sv.Close()
	dv.Close()
	defer tr.Close()
	warped, mask := gocv.NewMat(), gocv.NewMat()
	defer warped.Close()
	defer mask.Close()
	gocv.WarpPerspectiveWithParams(img, &warped, tr, box.Size(), gocv.InterpolationLinear, gocv.BorderConstant, color.RGBA{})
	ones := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(255, 0, 0, 0), img.Rows(), img.Cols(), gocv.MatTypeCV8UC1)
	defer ones.Close()
	gocv.WarpPerspectiveWithParams(ones, &mask, tr, box.Size(), gocv.InterpolationNearestNeighbor, gocv.BorderConstant, color.RGBA{})
	roi := frame.Region(box)
	warped.CopyToWithMask(&roi, mask)
	roi.Close()

	// Hands: one holding a phone or card from below, two at a sheet's sides.
	r := int(pose.side * 0.35)
	if d.kind == "paper" {
		for _, p := range []gocv.Point2f{at(0, H*0.55), at(W, H*0.55)} {
			gocv.Ellipse(frame, image.Pt(int(p.X), int(p.Y)), image.Pt(r/2, r), pose.rot, 0, 360, look.skin, -1)
		}
		return
	}
	p := at(W/2, H)
	if d.kind == "far" {
		// A small card is held by its lower margin, below the code.
		perPx := pose.side / float64(c.Dx()) // frame pixels a device pixel
		p = at(W/2, float64(c.Max.Y)+0.3*(H-float64(c.Max.Y))+float64(r*2/3)/perPx)
	}
	gocv.Ellipse(frame, image.Pt(int(p.X), int(p.Y)), image.Pt(r, r*2/3), pose.rot, 0, 360, look.skin, -1)
}

// defocus softens the code and what is around it as far as it is from the
// camera's focus: the blur circle grows with the difference in the
// inverse distance, which the code's side in pixels is proportional to.
func defocus(frame *gocv.Mat, pose gatePose, look gateLook) {
	sigma := 0.008 * math.Abs(pose.side-look.focus)
	if sigma < 0.3 {
		return
	}
	reach := pose.side * 1.5
	box := image.Rect(int(pose.cx-reach), int(pose.cy-reach), int(pose.cx+reach), int(pose.cy+reach)).Intersect(image.Rect(0, 0, frame.Cols(), frame.Rows()))
	if box.Dx() < 4 || box.Dy() < 4 {
		return
	}
	roi := frame.Region(box)
	defer roi.Close()
	gocv.GaussianBlur(roi, &roi, image.Pt(0, 0), sigma, sigma, gocv.BorderReplicate)
}

// blurAround smears the part of the frame around the code along heading,
// over length px: the device and the person move, the door does not.
func blurAround(frame *gocv.Mat, pose gatePose, length, heading float64) {
	reach := pose.side*2.5 + length
	box := image.Rect(int(pose.cx-reach), int(pose.cy-reach), int(pose.cx+reach), int(pose.cy+reach)).Intersect(image.Rect(0, 0, frame.Cols(), frame.Rows()))
	if box.Dx() < 4 || box.Dy() < 4 {
		return
	}
	roi := frame.Region(box)
	defer roi.Close()
	part := roi.Clone()
	defer part.Close()
	motionBlur(&part, int(math.Round(length)), heading)
	part.CopyTo(&roi)
}
