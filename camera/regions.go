package camera

import (
	"image"
	"math"
	"sort"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode/detector"
	"gocv.io/x/gocv"
)

// region is three finder patterns that form one code's corner triangle.
type region struct {
	bl, tl, tr finder
	module     float64
	dark       bool
}

// Triple bounds: how unequal a code's three patterns and its two sides may
// be (a phone turned away by 35 % still passes) and how far from a right
// angle the corner may be.
const (
	tripleMaxModuleRatio = 2.0
	tripleMaxLegRatio    = 1.8
	tripleMaxCos         = 0.5 // 60°..120°
	tripleMinLegModules  = 10  // version 1: 14 modules between centres
	tripleMaxLegModules  = 180 // version 40: 170
)

// groupRegions picks, from the candidates, the triples that look most like a
// code's corners, each pattern in one region at most, best first.
func groupRegions(fs []finder) []region {
	type cand struct {
		r     region
		score float64
		ids   [3]int
	}
	var cands []cand
	for i := 0; i < len(fs); i++ {
		for j := i + 1; j < len(fs); j++ {
			for k := j + 1; k < len(fs); k++ {
				a, b, c := fs[i], fs[j], fs[k]
				if a.dark != b.dark || a.dark != c.dark {
					continue
				}
				lo := min(a.module, b.module, c.module)
				hi := max(a.module, b.module, c.module)
				if hi > tripleMaxModuleRatio*lo {
					continue
				}
				r, score, ok := asRegion(a, b, c)
				if ok {
					cands = append(cands, cand{r, score + (hi/lo-1)/2, [3]int{i, j, k}})
				}
			}
		}
	}
	sort.Slice(cands, func(i, j int) bool { return cands[i].score < cands[j].score })
	used := make([]bool, len(fs))
	var out []region
	for _, c := range cands {
		if used[c.ids[0]] || used[c.ids[1]] || used[c.ids[2]] {
			continue
		}
		used[c.ids[0]], used[c.ids[1]], used[c.ids[2]] = true, true, true
		out = append(out, c.r)
	}
	return out
}

// asRegion orders three patterns as bottom-left, top-left (the right-angle
// corner) and top-right, and scores how far they are from a square code's.
func asRegion(a, b, c finder) (region, float64, bool) {
	d := func(p, q finder) float64 { return math.Hypot(p.x-q.x, p.y-q.y) }
	// The corner is opposite the longest side.
	ab, bc, ac := d(a, b), d(b, c), d(a, c)
	switch {
	case ab >= bc && ab >= ac:
		a, c = c, a // corner c
	case ac >= ab && ac >= bc:
		a, b = b, a // corner b
	}
	// Now a is the corner; b and c the ends of its legs.
	l1, l2 := d(a, b), d(a, c)
	m := (a.module + b.module + c.module) / 3
	if min(l1, l2) < tripleMinLegModules*m || max(l1, l2) > tripleMaxLegModules*m {
		return region{}, 0, false
	}
	if max(l1, l2) > tripleMaxLegRatio*min(l1, l2) {
		return region{}, 0, false
	}
	ux, uy := b.x-a.x, b.y-a.y
	vx, vy := c.x-a.x, c.y-a.y
	cos := (ux*vx + uy*vy) / (l1 * l2)
	if math.Abs(cos) > tripleMaxCos {
		return region{}, 0, false
	}
	// With y downwards, top-right × bottom-left is positive.
	tr, bl := b, c
	if ux*vy-uy*vx < 0 {
		tr, bl = c, b
	}
	score := math.Abs(cos) + math.Abs(1-l1/l2)/2
	return region{bl: bl, tl: a, tr: tr, module: m, dark: a.dark}, score, true
}

// outerCorners finds the code's four outer corners (top-left, top-right,
// bottom-right, bottom-left) from the outlines of its patterns: three are
// the patterns' own outer corners, and the fourth, which no pattern marks,
// is where the line of the top-right pattern's outer side meets the line
// of the bottom-left pattern's lower side. Under a keystone this is where
// the corner really is; the parallelogram of the three centres misses it by
// several modules, which a version 1 code (no alignment pattern) does not
// survive.
func (rg region) outerCorners() ([4]vec, bool) {
	if !rg.tl.hasQuad || !rg.tr.hasQuad || !rg.bl.hasQuad {
		return [4]vec{}, false
	}
	u := vec{rg.tr.x - rg.tl.x, rg.tr.y - rg.tl.y}
	v := vec{rg.bl.x - rg.tl.x, rg.bl.y - rg.tl.y}
	extreme := func(q [4]vec, dir vec) (int, int) { // the two points furthest along dir, best first
		best, second := -1, -1
		for i, p := range q {
			switch {
			case best < 0 || dot(p, dir) > dot(q[best], dir):
				best, second = i, best
			case second < 0 || dot(p, dir) > dot(q[second], dir):
				second = i
			}
		}
		return best, second
	}
	tl, _ := extreme(rg.tl.quad, vec{-u.x - v.x, -u.y - v.y})
	tr, _ := extreme(rg.tr.quad, u.sub(v))
	bl, _ := extreme(rg.bl.quad, v.sub(u))
	r1, r2 := extreme(rg.tr.quad, u)
	b1, b2 := extreme(rg.bl.quad, v)
	br, ok := intersect(rg.tr.quad[r1], rg.tr.quad[r2], rg.bl.quad[b1], rg.bl.quad[b2])
	if !ok {
		return [4]vec{}, false
	}
	// The corner must lie near the parallelogram's, or the outlines were wrong.
	guess := vec{rg.tr.x + rg.bl.x - rg.tl.x, rg.tr.y + rg.bl.y - rg.tl.y}
	if d := br.sub(guess); math.Hypot(d.x, d.y) > 0.35*math.Hypot(u.x, u.y) {
		return [4]vec{}, false
	}
	return [4]vec{rg.tl.quad[tl], rg.tr.quad[tr], br, rg.bl.quad[bl]}, true
}

// cornerModules estimates a code's size in modules from its outer corners:
// each edge from a pattern's corner to the next over the pattern's own
// side at each end (7 modules), which follows the keystone's scale change
// along the edge better than one module size for the whole code.
func (rg region) cornerModules(c [4]vec) float64 {
	side := func(f finder, dir vec) float64 { // the pattern's extent along dir
		lo, hi := math.Inf(1), math.Inf(-1)
		n := math.Hypot(dir.x, dir.y)
		for _, p := range f.quad {
			t := dot(p, dir) / n
			lo, hi = min(lo, t), max(hi, t)
		}
		return hi - lo
	}
	u, v := c[1].sub(c[0]), c[3].sub(c[0])
	top := math.Hypot(u.x, u.y) / ((side(rg.tl, u) + side(rg.tr, u)) / 2 / 7)
	left := math.Hypot(v.x, v.y) / ((side(rg.tl, v) + side(rg.bl, v)) / 2 / 7)
	return (top + left) / 2
}

func dot(a, b vec) float64 { return a.x*b.x + a.y*b.y }

// intersect is where line a1-a2 meets line b1-b2.
func intersect(a1, a2, b1, b2 vec) (vec, bool) {
	d1, d2 := a2.sub(a1), b2.sub(b1)
	den := d1.x*d2.y - d1.y*d2.x
	if math.Abs(den) < 1e-9 {
		return vec{}, false
	}
	t := ((b1.x-a1.x)*d2.y - (b1.y-a1.y)*d2.x) / den
	return a1.add(d1.scale(t)), true
}

// Region decoding scale: modules smaller than regionMinModule px are
// enlarged to regionTarget, larger than regionMaxModule shrunk to it; a
// region's crop is at most regionMaxSide px a side after scaling.
const (
	regionMinModule = 3.0
	regionMaxModule = 8.0
	regionTarget    = 4.0
	regionMaxSide   = 1400
	regionMargin    = 6 // modules around the finder centres and the fourth corner
)

// regionScratch holds a region's Mats between calls.
type regionScratch struct {
	crop, blur, bin gocv.Mat
}

func newRegionScratch() regionScratch {
	return regionScratch{crop: gocv.NewMat(), blur: gocv.NewMat(), bin: gocv.NewMat()}
}

func (s *regionScratch) close() {
	s.crop.Close()
	s.blur.Close()
	s.bin.Close()
}

// Region steps, as Code.Step names them.
const (
	stepRegionHybrid   = "region-hybrid"
	stepRegionOtsu     = "region-otsu"
	stepRegionAdaptive = "region-adaptive"
)

// decodeRegion crops the region from the frame at a scale where a module is
// a few pixels, and decodes it with the region's own patterns and with
// gozxing's finder, under three binarizations: gozxing's local one, Otsu
// after a blur of a third of a module (dots and noise merge into modules),
// and an adaptive mean over about four modules (uneven light, low contrast).
func (d *cascade) decodeRegion(gray gocv.Mat, rg region) (found, bool) {
	m := rg.module
	fourth := finder{x: rg.tr.x + rg.bl.x - rg.tl.x, y: rg.tr.y + rg.bl.y - rg.tl.y}
	pad := regionMargin * m
	x0 := min(rg.bl.x, rg.tl.x, rg.tr.x, fourth.x) - pad
	y0 := min(rg.bl.y, rg.tl.y, rg.tr.y, fourth.y) - pad
	x1 := max(rg.bl.x, rg.tl.x, rg.tr.x, fourth.x) + pad
	y1 := max(rg.bl.y, rg.tl.y, rg.tr.y, fourth.y) + pad
	rect := image.Rect(int(x0), int(y0), int(math.Ceil(x1)), int(math.Ceil(y1))).Intersect(image.Rect(0, 0, gray.Cols(), gray.Rows()))
	if rect.Dx() < 16 || rect.Dy() < 16 {
		return found{}, false
	}
	k := 1.0
	switch {
	case m < regionMinModule:
		k = regionTarget / m
	case m > regionMaxModule:
		k = regionTarget / m
	}
	if side := float64(max(rect.Dx(), rect.Dy())) * k; side > regionMaxSide {
		k *= regionMaxSide / side
	}
	roi := gray.Region(rect)
	switch {
	case k > 1:
		gocv.Resize(roi, &d.rs.crop, image.Point{}, k, k, gocv.InterpolationCubic)
	case k < 1:
		gocv.Resize(roi, &d.rs.crop, image.Point{}, k, k, gocv.InterpolationArea)
	default:
		roi.CopyTo(&d.rs.crop)
	}
	roi.Close()
	p, ok := planeOf(d.rs.crop)
	if !ok {
		return found{}, false
	}
	// The region's patterns in crop pixels, for sampling without gozxing's finder.
	at := func(f finder) *detector.FinderPattern {
		return detector.NewFinderPattern1((f.x-float64(rect.Min.X))*k, (f.y-float64(rect.Min.Y))*k, m*k)
	}
	info := detector.NewFinderPatternInfo(at(rg.bl), at(rg.tl), at(rg.tr))
	back := func(r qrResult, step string) (found, bool) {
		for i, c := range r.corners {
			r.corners[i] = image.Pt(int(float64(c.X)/k)+rect.Min.X, int(float64(c.Y)/k)+rect.Min.Y)
		}
		return foundOf(r, step), true
	}
	mk := m * k
	corners, hasCorners := rg.outerCorners()
	cornerDims := dimsAround(rg.cornerModules(corners))
	var cropCorners [4]vec
	for i, c := range corners {
		cropCorners[i] = vec{(c.x - float64(rect.Min.X)) * k, (c.y - float64(rect.Min.Y)) * k}
	}
	try := func(matrix *gozxing.BitMatrix, step string) (found, bool) {
		if matrix == nil {
			return found{}, false
		}
		if r, ok := d.qr.readInfo(matrix, info); ok {
			return back(r, step)
		}
		if hasCorners {
			// The corners place the alignment pattern well even under a
			// keystone; through it the grid is right where extrapolating
			// the patterns' short sides to the fourth corner is not.
			for _, dim := range cornerDims {
				if r, ok := d.qr.readCorners(matrix, info, cropCorners, dim); ok {
					return back(r, step)
				}
				if dim >= 25 {
					at := alignmentAt(cropCorners, dim)
					if r, ok := d.qr.readAligned(matrix, info.GetBottomLeft(), info.GetTopLeft(), info.GetTopRight(), dim, mk, nil, &at); ok {
						return back(r, step)
					}
				}
			}
		}
		// gozxing measures the module on the binarized patterns and refuses
		// sizes that are not 4v+17; the region's own estimate, and the sizes
		// next to it, are tried instead.
		bl, tl, tr := info.GetBottomLeft(), info.GetTopLeft(), info.GetTopRight()
		for _, dim := range regionDims(rg) {
			if r, ok := d.qr.readAligned(matrix, bl, tl, tr, dim, mk, nil, nil); ok {
				return back(r, step)
			}
			if r, ok := d.qr.readTransformed(matrix, bl, tl, tr, nil, dim); ok {
				return back(r, step)
			}
		}
		if r, _, ok := d.qr.readMatrix(matrix, true); ok {
			return back(r, step)
		}
		return found{}, false
	}
	if mx, ok := binarize(p, hybrid, !rg.dark); ok {
		if f, ok := try(mx, stepRegionHybrid); ok {
			return f, true
		}
	}
	// The code's own grey levels, inside the triangle of its patterns, set
	// the global threshold: the crop's corners may be a dark table or a
	// phone's body, which would pull Otsu's threshold away from the modules.
	inner := image.Rect(
		int((min(rg.bl.x, rg.tl.x, rg.tr.x)-float64(rect.Min.X))*k), int((min(rg.bl.y, rg.tl.y, rg.tr.y)-float64(rect.Min.Y))*k),
		int((max(rg.bl.x, rg.tl.x, rg.tr.x)-float64(rect.Min.X))*k), int((max(rg.bl.y, rg.tl.y, rg.tr.y)-float64(rect.Min.Y))*k),
	).Intersect(image.Rect(0, 0, p.w, p.h))
	for _, blur := range []float64{mk / 6, mk / 3} {
		sigma := max(0.5, blur)
		gocv.GaussianBlur(d.rs.crop, &d.rs.blur, image.Point{}, sigma, sigma, gocv.BorderReplicate)
		if inner.Dx() < 8 || inner.Dy() < 8 {
			break
		}
		sub := d.rs.blur.Region(inner)
		t := gocv.Threshold(sub, &d.rs.bin, 0, 255, gocv.ThresholdBinary|gocv.ThresholdOtsu)
		sub.Close()
		gocv.Threshold(d.rs.blur, &d.rs.bin, t, 255, gocv.ThresholdBinary)
		if f, ok := try(matrixOf(d.rs.bin, !rg.dark), stepRegionOtsu); ok {
			return f, true
		}
	}
	sigma := max(0.5, mk/6)
	gocv.GaussianBlur(d.rs.crop, &d.rs.blur, image.Point{}, sigma, sigma, gocv.BorderReplicate)
	block := 2*int(2*mk) + 1
	gocv.AdaptiveThreshold(d.rs.blur, &d.rs.bin, 255, gocv.AdaptiveThresholdMean, gocv.ThresholdBinary, max(block, 7), 2)
	return try(matrixOf(d.rs.bin, !rg.dark), stepRegionAdaptive)
}

// regionDimTries is how many code sizes are tried per region.
const regionDimTries = 3

// regionDims are the code sizes (4v+17 modules) to try for a region,
// nearest its own estimate first: the legs' length in modules, each leg
// measured with the module size of the patterns at its ends.
func regionDims(rg region) []int {
	leg := func(a, b finder) float64 {
		return math.Hypot(a.x-b.x, a.y-b.y) / ((a.module + b.module) / 2)
	}
	return dimsAround((leg(rg.tl, rg.tr)+leg(rg.tl, rg.bl))/2 + 7)
}

// dimsAround lists the code sizes (4v+17) nearest est, at most regionDimTries.
func dimsAround(est float64) []int {
	v := int(math.Round((est - 17) / 4))
	var dims []int
	for dv := -2; dv <= 2; dv++ {
		if w := v + dv; w >= 1 && w <= 40 {
			dims = append(dims, 4*w+17)
		}
	}
	sort.Slice(dims, func(i, j int) bool { return math.Abs(float64(dims[i])-est) < math.Abs(float64(dims[j])-est) })
	return dims[:min(len(dims), regionDimTries)]
}

// matrixOf turns a 0/255 Mat into gozxing's matrix (dark pixels set, or
// light ones for a light-on-dark code).
func matrixOf(bin gocv.Mat, invert bool) *gozxing.BitMatrix {
	p, ok := planeOf(bin)
	if !ok {
		return nil
	}
	mx, err := gozxing.NewBitMatrix(p.w, p.h)
	if err != nil {
		return nil
	}
	for y := range p.h {
		row := p.pix[y*p.w : (y+1)*p.w]
		for x, v := range row {
			if (v < 128) != invert {
				mx.Set(x, y)
			}
		}
	}
	return mx
}
