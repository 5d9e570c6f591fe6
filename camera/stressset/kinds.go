package stressset

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand"

	"gocv.io/x/gocv"
)

func between(rng *rand.Rand, lo, hi float64) float64 { return lo + (hi-lo)*rng.Float64() }

// one puts a single code of text in a w×h scene at side px (the code, not
// the card), centred near the middle, with rot and tilt, and returns the scene.
func one(rng *rand.Rand, w, h int, text string, st style, side, rot, tilt float64) (gocv.Mat, error) {
	bm, err := modules(text)
	if err != nil {
		return gocv.Mat{}, err
	}
	c, codeSide := card(bm, st)
	defer c.Close()
	m := background(rng, w, h)
	cx := float64(w)/2 + between(rng, -0.15, 0.15)*float64(w)
	cy := float64(h)/2 + between(rng, -0.15, 0.15)*float64(h)
	place(&m, c, square(cx, cy, side, rot, tilt, float64(codeSide)/float64(c.Cols())), false)
	return m, nil
}

func plain() style { return style{px: 8, quiet: 4, dark: 20, light: 235} }

// makeInverted: light modules on a dark screen or label (dark mode).
func makeInverted(g *gen, rng *rand.Rand) (gocv.Mat, []string, error) {
	text, err := g.anyText(rng)
	if err != nil {
		return gocv.Mat{}, nil, err
	}
	st := plain()
	st.invert, st.quiet = true, 2+rng.Intn(3)
	m, err := one(rng, 1280, 720, text, st, between(rng, 220, 420), between(rng, -30, 30), between(rng, 0, 0.1))
	if err == nil {
		camera(&m, between(rng, 0.5, 1.2), 4)
	}
	return m, []string{text}, err
}

// makeTiny: a version 1 or 2 code about 40 px a side in a 640×480 or 720p
// frame (modules of 1.5 to 2.5 px).
func makeTiny(g *gen, rng *rand.Rand) (gocv.Mat, []string, error) {
	text := fmt.Sprintf("GATE-%03d", rng.Intn(1000))
	switch rng.Intn(3) {
	case 0:
		text = fmt.Sprintf("%d", rng.Int63n(1e12))
	case 1:
		text = fmt.Sprintf("https://hc.cn/%d", rng.Intn(100000))
	}
	w, h := 640, 480
	if rng.Intn(2) == 0 {
		w, h = 1280, 720
	}
	m, err := one(rng, w, h, text, plain(), between(rng, 34, 50), between(rng, -15, 15), 0)
	if err == nil {
		camera(&m, between(rng, 0.3, 0.6), 3)
	}
	return m, []string{text}, err
}

// makeHuge: a 12-megapixel photograph, the code either filling much of it
// (modules of 20–40 px, soft focus) or small in a corner of it.
func makeHuge(g *gen, rng *rand.Rand) (gocv.Mat, []string, error) {
	text, err := g.anyText(rng)
	if err != nil {
		return gocv.Mat{}, nil, err
	}
	side, blur := between(rng, 1300, 2300), between(rng, 2, 5)
	if rng.Intn(3) == 0 {
		side, blur = between(rng, 250, 400), between(rng, 1, 2)
	}
	m, err := one(rng, 4000, 3000, text, plain(), side, between(rng, -20, 20), between(rng, 0, 0.1))
	if err == nil {
		camera(&m, blur, 5)
	}
	return m, []string{text}, err
}

// makeDotted: data modules printed as round dots (a common design), finder
// patterns kept square or dotted too.
func makeDotted(g *gen, rng *rand.Rand) (gocv.Mat, []string, error) {
	text, err := g.anyText(rng)
	if err != nil {
		return gocv.Mat{}, nil, err
	}
	st := plain()
	st.px, st.dot, st.finderOK = 12, between(rng, 0.3, 0.45), rng.Intn(4) != 0
	m, err := one(rng, 900, 900, text, st, between(rng, 320, 560), between(rng, -25, 25), between(rng, 0, 0.08))
	if err == nil {
		camera(&m, between(rng, 0.5, 1.0), 3)
	}
	return m, []string{text}, err
}

// makeCurved: a label on a bottle or cup: the code wraps round a vertical
// cylinder, squeezed and darker towards its sides.
func makeCurved(g *gen, rng *rand.Rand) (gocv.Mat, []string, error) {
	text, err := g.anyText(rng)
	if err != nil {
		return gocv.Mat{}, nil, err
	}
	bm, err := modules(text)
	if err != nil {
		return gocv.Mat{}, nil, err
	}
	c, codeSide := card(bm, plain())
	defer c.Close()
	// The card covers ±half of the cylinder's visible arc.
	half := between(rng, 0.7, 1.1) // radians each side of the axis
	n := c.Cols()
	// Seen from nearby, the sides are farther away: they also shrink
	// towards the middle line, so the label's top and bottom edges bow.
	near := between(rng, 0.15, 0.35)
	bent := Cylinder(c, half, near, color.RGBA{235, 235, 235, 0})
	defer bent.Close()
	m := background(rng, 1000, 800)
	side := between(rng, 300, 480)
	place(&m, bent, square(500, 400, side, between(rng, -10, 10), 0, float64(codeSide)/float64(n)), false)
	camera(&m, between(rng, 0.6, 1.0), 3)
	return m, []string{text}, nil
}

// makeBlurred: out of focus or moving, by about half a module.
func makeBlurred(g *gen, rng *rand.Rand) (gocv.Mat, []string, error) {
	text, err := g.anyText(rng)
	if err != nil {
		return gocv.Mat{}, nil, err
	}
	side := between(rng, 220, 400)
	m, err := one(rng, 1280, 720, text, plain(), side, between(rng, -20, 20), 0)
	if err != nil {
		return m, nil, err
	}
	bm, _ := modules(text)
	module := side / float64(bm.GetWidth())
	if rng.Intn(2) == 0 {
		camera(&m, module*between(rng, 0.35, 0.55), 3)
	} else {
		motionBlur(&m, int(module*between(rng, 0.8, 1.3)), rng.Float64()*math.Pi)
		camera(&m, 0, 3)
	}
	return m, []string{text}, nil
}

// makeLowContrast: grey ink on grey paper in flat outdoor light.
func makeLowContrast(g *gen, rng *rand.Rand) (gocv.Mat, []string, error) {
	text, err := g.anyText(rng)
	if err != nil {
		return gocv.Mat{}, nil, err
	}
	st := plain()
	st.light = uint8(between(rng, 140, 200))
	st.dark = st.light - uint8(between(rng, 22, 40))
	m, err := one(rng, 1280, 720, text, st, between(rng, 260, 420), between(rng, -20, 20), between(rng, 0, 0.08))
	if err == nil {
		light(&m, 0.75, 1.15, rng.Float64()*2*math.Pi)
		camera(&m, between(rng, 0.6, 1.0), 3)
	}
	return m, []string{text}, err
}

// makeMulti: two to four codes in one picture; every third picture is four
// issued codes side by side on one sheet.
func makeMulti(g *gen, rng *rand.Rand) (gocv.Mat, []string, error) {
	w, h := 1600, 1000
	m := background(rng, w, h)
	count := 2 + rng.Intn(3)
	row := rng.Intn(3) == 0
	if row {
		count = 4
		gocv.Rectangle(&m, image.Rect(60, 300, w-60, 700), color.RGBA{240, 240, 240, 0}, -1)
	}
	var texts []string
	for i := range count {
		text, err := g.anyText(rng)
		if err != nil {
			m.Close()
			return gocv.Mat{}, nil, err
		}
		bm, err := modules(text)
		if err != nil {
			m.Close()
			return gocv.Mat{}, nil, err
		}
		c, codeSide := card(bm, plain())
		var q quad
		if row {
			q = square(200+float64(i)*400, 500, 300, 0, 0, float64(codeSide)/float64(c.Cols()))
		} else {
			// One code in each quarter of the picture, scaled and turned.
			cx := float64(w/4 + (i%2)*w/2 + rng.Intn(80) - 40)
			cy := float64(h/4 + (i/2)*h/2 + rng.Intn(60) - 30)
			q = square(cx, cy, between(rng, 200, 330), between(rng, -40, 40), between(rng, 0, 0.15), float64(codeSide)/float64(c.Cols()))
		}
		place(&m, c, q, false)
		c.Close()
		texts = append(texts, text)
	}
	camera(&m, between(rng, 0.5, 0.9), 3)
	return m, texts, nil
}

// makeScreen: a phone screen filmed up close: the code's pixels sit on the
// screen's red, green and blue stripes and the camera samples them at a
// scale that beats against them (moiré), with a reflection on the glass.
func makeScreen(g *gen, rng *rand.Rand) (gocv.Mat, []string, error) {
	text, err := g.anyText(rng)
	if err != nil {
		return gocv.Mat{}, nil, err
	}
	bm, err := modules(text)
	if err != nil {
		return gocv.Mat{}, nil, err
	}
	st := plain()
	st.px, st.quiet, st.dark, st.light = 3, 3, 10, 250
	st.invert = rng.Intn(4) == 0
	c, codeSide := card(bm, st)
	defer c.Close()
	// Each screen pixel becomes a 4×4 patch: R, G and B stripes and a dark gap.
	n := c.Cols()
	scr := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(0, 0, 0, 0), 4*n, 4*n, gocv.MatTypeCV8UC3)
	defer scr.Close()
	// A camera exposes for the lit screen: its stripes average out bright.
	bright := gocv.NewMat()
	defer bright.Close()
	c.ConvertToWithParams(&bright, gocv.MatTypeCV8U, 2.6, 0)
	src, _ := bright.DataPtrUint8()
	dst, _ := scr.DataPtrUint8()
	for y := range n {
		for x := range n {
			v := src[y*n+x]
			for dy := range 3 {
				row := ((4*y+dy)*4*n + 4*x) * 3
				dst[row+2], dst[row+3+1], dst[row+6] = v, v, v // R, G, B (BGR order)
			}
		}
	}
	m := background(rng, 1280, 720)
	// The phone's body around the screen.
	side := between(rng, 300, 460)
	frac := float64(codeSide) / float64(n)
	cx, cy := 640+between(rng, -120, 120), 360+between(rng, -60, 60)
	body := square(cx, cy, side*1.25, 0, 0, frac)
	pts := make([]image.Point, 4)
	for i, p := range body {
		pts[i] = image.Pt(int(p.X), int(p.Y*1.3-float32(cy)*0.3))
	}
	pv := gocv.NewPointsVectorFromPoints([][]image.Point{pts})
	gocv.FillPoly(&m, pv, color.RGBA{25, 25, 30, 0})
	pv.Close()
	rot := between(rng, -12, 12)
	place(&m, scr, square(cx, cy, side, rot, between(rng, 0, 0.1), frac), true)
	// A reflection: a soft bright ellipse across part of the screen.
	glare := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(0, 0, 0, 0), 720, 1280, gocv.MatTypeCV8UC3)
	defer glare.Close()
	a := int(between(rng, 0.1, 0.25) * side)
	gocv.Ellipse(&glare, image.Pt(int(cx+between(rng, -0.3, 0.3)*side), int(cy+between(rng, -0.3, 0.3)*side)), image.Pt(a, a/2), rng.Float64()*180, 0, 360, color.RGBA{90, 90, 90, 0}, -1)
	gocv.GaussianBlur(glare, &glare, image.Pt(0, 0), float64(a)/3, float64(a)/3, gocv.BorderDefault)
	gocv.Add(m, glare, &m)
	camera(&m, between(rng, 0.3, 0.7), 4)
	return m, []string{text}, nil
}

// makeKeystone: turned anywhere round the circle and tilted away by 20–35 %.
func makeKeystone(g *gen, rng *rand.Rand) (gocv.Mat, []string, error) {
	text, err := g.anyText(rng)
	if err != nil {
		return gocv.Mat{}, nil, err
	}
	m, err := one(rng, 1280, 720, text, plain(), between(rng, 260, 420), rng.Float64()*360, between(rng, 0.2, 0.35))
	if err == nil {
		camera(&m, between(rng, 0.5, 0.9), 3)
	}
	return m, []string{text}, err
}

// Cylinder wraps a square card round a vertical cylinder seen from
// nearby: the card covers ±half radians of the visible arc, its columns
// squeeze towards the sides, and with near > 0 its top and bottom edges
// bow (the sides are farther away). Outside the card is bg. No single
// perspective transform undoes it.
func Cylinder(c gocv.Mat, half, near float64, bg color.RGBA) gocv.Mat {
	n := c.Cols()
	mapX := gocv.NewMatWithSize(n, n, gocv.MatTypeCV32F)
	mapY := gocv.NewMatWithSize(n, n, gocv.MatTypeCV32F)
	defer mapX.Close()
	defer mapY.Close()
	mid := float64(n-1) / 2
	mx, _ := mapX.DataPtrFloat32()
	my, _ := mapY.DataPtrFloat32()
	for x := range n {
		// Output column x sees the surface at angle asin(u·sin(half)).
		u := (2*float64(x)/float64(n-1) - 1) * math.Sin(half)
		a := math.Asin(u)
		src := (a/half + 1) / 2 * float64(n-1)
		grow := 1 + near*(1-math.Cos(a))
		for y := range n {
			mx[y*n+x] = float32(src)
			my[y*n+x] = float32(mid + (float64(y)-mid)*grow)
		}
	}
	bent := gocv.NewMat()
	gocv.Remap(c, &bent, &mapX, &mapY, gocv.InterpolationLinear, gocv.BorderConstant, bg)
	return bent
}
